import { describe, expect, it } from 'vitest';
import { tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { createRng } from '../src/data/prng.js';
import type { EmuInteraction, Tenant } from '../src/model.js';

const NOW = new Date('2026-03-10T12:00:00Z');
const tenant = generateTenant({ now: NOW });
const facts = tenantFacts(tenant);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function allInteractions(t: Tenant): EmuInteraction[] {
  return [...t.interactions.values()].flat();
}

describe('prng', () => {
  it('is deterministic per seed and stream, and streams differ', () => {
    const a = createRng(7, 'x');
    const b = createRng(7, 'x');
    const c = createRng(7, 'y');
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    expect(createRng(7, 'x').guid()).toMatch(GUID);
  });
});

describe('generateTenant', () => {
  it('is deterministic: same seed and now → identical tenant', () => {
    const again = generateTenant({ now: NOW });
    expect(again.users).toEqual(tenant.users);
    expect(again.documents).toEqual(tenant.documents);
    expect(again.meetings).toEqual(tenant.meetings);
    expect(again.apps).toEqual(tenant.apps);
    expect(allInteractions(again).slice(0, 200)).toEqual(allInteractions(tenant).slice(0, 200));
  });

  it('keeps ids and texts when only now changes, and moves timestamps with now', () => {
    const later = generateTenant({ now: new Date(NOW.getTime() + 7 * 86_400_000) });
    expect(later.id).toBe(tenant.id);
    expect(later.users.map((u) => u.id)).toEqual(tenant.users.map((u) => u.id));
    expect(later.documents.map((d) => [d.id, d.title, d.chunks])).toEqual(tenant.documents.map((d) => [d.id, d.title, d.chunks]));
    expect(later.meetings.map((m) => [m.id, m.joinWebUrl, m.subject])).toEqual(tenant.meetings.map((m) => [m.id, m.joinWebUrl, m.subject]));
    expect(later.apps).toEqual(tenant.apps);
    expect(later.documents[0]?.lastModifiedTime).not.toBe(tenant.documents[0]?.lastModifiedTime);
  });

  it('differs for another seed', () => {
    const other = generateTenant({ seed: 2, now: NOW });
    expect(other.id).not.toBe(tenant.id);
    expect(other.users[0]?.id).not.toBe(tenant.users[0]?.id);
  });

  it('defaults now to the current minute', () => {
    const t = generateTenant({ scale: 0.01 });
    const now = Date.parse(t.now);
    expect(now % 60_000).toBe(0);
    expect(Math.abs(Date.now() - now)).toBeLessThan(120_000);
  });

  it('has the company: users, licences, labels, sites, OneDrives, apps', () => {
    expect(tenant.domain).toBe('contoso-emu.example');
    expect(tenant.spHost).toBe('contoso-emu.sharepoint.com');
    expect(tenant.users.length).toBeGreaterThanOrEqual(8);
    expect(tenant.users.filter((u) => !u.copilotLicense)).toHaveLength(2);
    for (const u of tenant.users) {
      expect(u.id).toMatch(GUID);
      expect(u.upn.endsWith('@contoso-emu.example')).toBe(true);
      expect(u.department).not.toBe('');
      expect(u.jobTitle).not.toBe('');
    }
    expect(facts.demoUser.copilotLicense).toBe(true);
    expect(tenant.labels.map((l) => [l.displayName.split('\\')[0], l.priority])).toEqual([
      ['General', 0],
      ['Internal', 1],
      ['Confidential', 2],
      ['Highly Confidential', 3],
    ]);
    const teamSites = tenant.sites.filter((s) => s.ownerId === undefined);
    expect(teamSites.length).toBeGreaterThanOrEqual(3);
    expect(teamSites.some((s) => Array.isArray(s.readers))).toBe(true);
    for (const u of tenant.users) expect(tenant.sites.filter((s) => s.ownerId === u.id)).toHaveLength(1);
    expect(tenant.apps.publicClient.kind).toBe('public');
    expect(tenant.apps.publicClient.delegatedScopes).toEqual(expect.arrayContaining(['Files.Read.All', 'Sites.Read.All', 'OnlineMeetingAiInsight.Read.All', 'offline_access']));
    expect(tenant.apps.exportApp.kind).toBe('confidential');
    expect(tenant.apps.exportApp.clientSecret).toMatch(/.{20,}/);
    expect(tenant.apps.exportApp.appRoles).toEqual(['AiEnterpriseInteraction.Read.All', 'User.Read.All']);
  });

  it('has 300+ documents with labels on most and sane permissions', () => {
    const docs = tenant.documents;
    expect(docs.length).toBeGreaterThanOrEqual(300);
    expect(docs.filter((d) => d.labelId !== undefined).length / docs.length).toBeGreaterThan(0.7);
    expect(new Set(docs.map((d) => d.webUrl.toLowerCase())).size).toBe(docs.length);
    expect(new Set(docs.map((d) => d.fileExtension))).toEqual(new Set(['docx', 'pptx', 'pdf', 'xlsx', 'aspx']));
    const now = Date.parse(tenant.now);
    for (const d of docs) {
      expect(d.chunks.length).toBeGreaterThanOrEqual(3);
      expect(d.chunks.length).toBeLessThanOrEqual(8);
      expect(d.webUrl.toLowerCase().startsWith(d.path.toLowerCase())).toBe(true);
      expect(d.path.endsWith('/')).toBe(true);
      expect(Date.parse(d.createdTime)).toBeLessThanOrEqual(Date.parse(d.lastModifiedTime));
      expect(Date.parse(d.lastModifiedTime)).toBeLessThanOrEqual(now);
      expect(now - Date.parse(d.createdTime)).toBeLessThan(731 * 86_400_000);
      if (d.source === 'oneDriveBusiness') {
        expect(Array.isArray(d.readers) && d.readers[0] === d.ownerId).toBe(true);
        expect((d.readers as string[]).length).toBeLessThanOrEqual(3);
      }
    }
    expect(docs.some((d) => d.source === 'oneDriveBusiness' && (d.readers as string[]).length > 1)).toBe(true);
  });

  it('has a connector with ~40 items', () => {
    const it = tenant.externalItems.filter((i) => i.connectionId === 'ContosoITServiceNowKB');
    expect(it.length).toBeGreaterThanOrEqual(35);
    expect(tenant.connections.find((c) => c.id === 'ContosoITServiceNowKB')?.queryableProperties).toEqual(['Label_Title', 'Category']);
    for (const item of it) {
      expect(item.webUrl).toMatch(/^https:\/\/contoso-emu\.service-now\.com\/sp\?id=kb_article&sys_id=[0-9a-f]{32}$/);
      expect(Object.keys(item.properties)).toEqual(expect.arrayContaining(['title', 'author', 'Label_Title', 'Category']));
    }
    expect(it.filter((i) => i.readers === 'everyone').length / it.length).toBeGreaterThan(0.7);
  });

  it('has 20+ meetings over ~30 days with the documented ids and join URLs', () => {
    const now = Date.parse(tenant.now);
    const past = tenant.meetings.filter((m) => Date.parse(m.endDateTime) <= now);
    expect(past.length).toBeGreaterThanOrEqual(20);
    for (const m of tenant.meetings) {
      expect(Buffer.from(m.id, 'base64').toString()).toBe(`1*${m.organizerId}*0**${m.threadId}`);
      expect(m.threadId).toMatch(/^19:meeting_[A-Za-z0-9]+@thread\.v2$/);
      expect(m.joinWebUrl).toContain(`https://teams.microsoft.com/l/meetup-join/${m.threadId.replace(':', '%3a').replace('@', '%40')}/0?context=%7b%22Tid%22%3a%22${tenant.id}%22%2c%22Oid%22%3a%22${m.organizerId}%22%7d`);
      expect(m.attendeeIds).toContain(m.organizerId);
      expect(now - Date.parse(m.startDateTime)).toBeLessThan(31 * 86_400_000);
      if (!m.transcription) expect(m.insights).toEqual([]);
    }
    expect(past.filter((m) => m.attendeeIds.includes(facts.demoUser.id)).length / past.length).toBeGreaterThan(0.8);
    expect(past.filter((m) => !m.transcription).length).toBeGreaterThanOrEqual(2);
    expect(past.filter((m) => m.insights.length === 2).length).toBeGreaterThanOrEqual(1);
    const notReady = facts.meetings.notReady;
    expect(now - Date.parse(notReady.endDateTime)).toBeLessThan(2 * 3_600_000);
    expect(Date.parse(notReady.insights[0]?.availableAt ?? '')).toBeGreaterThan(now);
    const insight = facts.meetings.withInsights.insight;
    expect(insight.meetingNotes.length).toBeGreaterThan(0);
    expect(insight.meetingNotes.some((n) => n.subpoints.length > 0)).toBe(true);
    expect(insight.actionItems.every((a) => a.ownerDisplayName.length > 0)).toBe(true);
    const mentioned = past.filter((m) => m.insights.some((i) => (i.mentionsByUser[facts.demoUser.id]?.length ?? 0) > 0));
    expect(mentioned.length / past.filter((m) => m.insights.length > 0 && m.attendeeIds.includes(facts.demoUser.id)).length).toBeGreaterThan(0.5);
  });

  it('has 5,000+ interactions, the demo user 1,000+, sorted with unique epoch-ms ids', () => {
    const all = allInteractions(tenant);
    expect(all.length).toBeGreaterThanOrEqual(5000);
    expect(facts.interactions.total).toBeGreaterThanOrEqual(1000);
    expect(Object.values(facts.interactions.byAppClass).reduce((a, b) => a + b, 0)).toBe(facts.interactions.total);
    const now = Date.parse(tenant.now);
    for (const [userId, list] of tenant.interactions) {
      const user = tenant.users.find((u) => u.id === userId);
      if (!user?.copilotLicense) expect(list).toEqual([]);
      let previous = 0;
      for (const i of list) {
        const ms = Number(i.id);
        expect(ms).toBeGreaterThan(previous);
        expect(new Date(ms).toISOString()).toBe(i.createdDateTime);
        expect(now - ms).toBeLessThan(181 * 86_400_000);
        previous = ms;
      }
    }
    const classes = new Set(all.map((i) => i.appClass.replace('IPM.SkypeTeams.Message.Copilot.', '')));
    expect(classes).toEqual(new Set(['BizChat', 'Teams', 'Word', 'Excel', 'PowerPoint', 'Outlook', 'WebChat', 'Loop', 'OneNote', 'CoworkChat']));
    expect(all.filter((i) => i.appClass.endsWith('CoworkChat')).every((i) => i.requestId === null)).toBe(true);
  });

  it('pairs prompts and responses by requestId and sessionId, a few hundred ms apart', () => {
    const list = tenant.interactions.get(facts.demoUser.id) ?? [];
    const prompts = new Map(list.filter((i) => i.interactionType === 'userPrompt' && i.requestId).map((i) => [i.requestId, i]));
    const responses = list.filter((i) => i.interactionType === 'aiResponse' && i.requestId);
    expect(responses.length).toBeGreaterThan(400);
    for (const r of responses) {
      const p = prompts.get(r.requestId);
      expect(p?.sessionId).toBe(r.sessionId);
      const gap = Number(r.id) - Number(p?.id);
      expect(gap).toBeGreaterThan(0);
      expect(gap).toBeLessThan(1000);
    }
    const html = responses.filter((r) => r.bodyContentType === 'html' && r.attachments.length > 0);
    expect(html.length).toBeGreaterThan(0);
    for (const r of html) expect(r.body).toContain(`<attachment id="${r.attachments[0]?.attachmentId}"></attachment>`);
    expect(responses.some((r) => r.links.some((l) => l.linkType === 'File'))).toBe(true);
    expect(responses.some((r) => r.links.some((l) => l.linkType === 'Event'))).toBe(true);
    expect(list.some((i) => i.mentions.length > 0)).toBe(true);
  });

  // How fast it generates is a benchmark's business (npm run bench), not a test's.
  it('scales to 100k+ interactions', () => {
    const big = generateTenant({ scale: 20, now: NOW });
    let count = 0;
    for (const list of big.interactions.values()) count += list.length;
    expect(count).toBeGreaterThanOrEqual(100_000);
  });
});

describe('tenantFacts', () => {
  it('describes users and documents consistently with the data', () => {
    expect(facts.licensedUser.copilotLicense).toBe(true);
    expect(facts.licensedUser.id).not.toBe(facts.demoUser.id);
    expect(facts.unlicensedUser.copilotLicense).toBe(false);
    expect(facts.privateDoc.document.source).toBe('oneDriveBusiness');
    expect(facts.privateDoc.document.readers).toEqual([facts.privateDoc.owner.id]);
    expect(facts.privateDoc.owner.id).toBe(facts.demoUser.id);
    expect(facts.privateDoc.outsider.copilotLicense).toBe(true);
    expect(facts.sharedDoc.sharedWith.length).toBeGreaterThanOrEqual(1);
    expect(facts.vpnGuide.document.source).toBe('sharePoint');
    expect(facts.labelledDoc.document.labelId).toBe(facts.labelledDoc.label.id);
    expect(facts.restrictedDoc.site.readers).not.toBe('everyone');
    expect(facts.restrictedDoc.site.readers).toContain(facts.restrictedDoc.member.id);
    expect(facts.restrictedDoc.site.readers).not.toContain(facts.restrictedDoc.outsider.id);
    expect(facts.connector.item.properties['Label_Title']).toBe(facts.connector.labelTitle);
    expect(facts.meetings.withInsights.meeting.attendeeIds).toContain(facts.demoUser.id);
    expect(facts.meetings.noTranscript.transcription).toBe(false);
    expect(facts.meetings.twoTranscripts.insights).toHaveLength(2);
    expect(facts.meetings.notAttended.attendeeIds).not.toContain(facts.demoUser.id);
  });
});
