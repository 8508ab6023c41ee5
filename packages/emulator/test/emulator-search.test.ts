import { describe, expect, it } from 'vitest';
import { tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { Bm25Index } from '../src/search/bm25.js';
import { tenantCorpora } from '../src/search/corpus.js';
import { retrieve, type RetrievalRequestBody } from '../src/search/retrievalQuery.js';
import { stem, tokenize } from '../src/search/tokenize.js';

const tenant = generateTenant({ now: new Date('2026-03-10T12:00:00Z') });
const facts = tenantFacts(tenant);
const demo = facts.demoUser.id;

function search(userId: string, body: Partial<RetrievalRequestBody> & { queryString: string }) {
  return retrieve(tenant, userId, { dataSource: 'sharePoint', ...body }).retrievalHits;
}

describe('tokenize', () => {
  it('lowercases, splits on non-alphanumerics, drops stopwords and stems lightly', () => {
    expect(tokenize('How to set up the Corporate VPN?')).toEqual(['setup', 'corporat', 'vpn']);
    // "set up" is one term, as documents write it ("VPN Setup Guide"); the bare verb stays a verb.
    expect(tokenize('Corporate VPN Setup Guide')).toContain('setup');
    expect(tokenize('Goal Setting Template')).not.toContain('setup');
    expect(stem('reimbursement')).toBe(stem('reimbursing'));
    expect(stem('requirement')).toBe(stem('required'));
    expect(stem('policies')).toBe(stem('policy'));
    expect(stem('guides')).toBe(stem('guide'));
    expect(stem('configuring')).toBe(stem('configure'));
    expect(stem('configured')).toBe(stem('configure'));
    expect(stem('setting')).toBe('set');
    expect(stem('access')).toBe('access');
    expect(tokenize('Wi-Fi: 2FA')).toEqual(['wi', 'fi', '2fa']);
  });
});

describe('Bm25Index', () => {
  const index = new Bm25Index([
    tokenize('vpn setup guide for the corporate vpn'),
    tokenize('expense report receipts'),
    tokenize('vpn'),
    tokenize('travel policy and travel booking for corporate trips and many other words here'),
  ]);

  it('scores term frequency with saturation and length normalisation', () => {
    const scores = index.score(tokenize('corporate vpn'));
    expect(scores.has(1)).toBe(false);
    expect(scores.get(0)).toBeGreaterThan(scores.get(2) ?? 0);
    expect(scores.get(0)).toBeGreaterThan(scores.get(3) ?? 0);
    expect(index.maxScore(tokenize('corporate vpn'))).toBeGreaterThan(scores.get(0) ?? 0);
  });

  it('uses a positive, smoothed IDF that favours rare terms', () => {
    expect(index.idf('vpn')).toBeGreaterThan(0);
    expect(index.idf('receipt')).toBeGreaterThan(index.idf('vpn'));
    expect(index.idf('absent')).toBeGreaterThan(index.idf('receipt'));
  });

  it('is built once per tenant', () => {
    expect(tenantCorpora(tenant)).toBe(tenantCorpora(tenant));
  });
});

describe('retrieve', () => {
  it('ranks the VPN guide first for the VPN question, with a label and normalised scores', () => {
    const hits = search(demo, { queryString: facts.vpnGuide.query, resourceMetadata: ['title', 'Author'] });
    const top = hits[0];
    expect(top?.webUrl).toBe(facts.vpnGuide.document.webUrl);
    expect(top?.resourceType).toBe('listItem');
    expect(top?.resourceMetadata).toEqual({ title: facts.vpnGuide.document.title, Author: facts.vpnGuide.document.author });
    expect(top?.sensitivityLabel).toEqual({
      sensitivityLabelId: facts.vpnGuide.label.id,
      displayName: facts.vpnGuide.label.displayName,
      tooltip: facts.vpnGuide.label.tooltip,
      priority: facts.vpnGuide.label.priority,
      color: facts.vpnGuide.label.color,
    });
    expect(top?.extracts.length).toBe(2);
    for (const hit of hits) {
      expect(hit.extracts.length).toBeGreaterThanOrEqual(1);
      expect(hit.extracts.length).toBeLessThanOrEqual(2);
      for (const e of hit.extracts) {
        expect(e.relevanceScore).toBeGreaterThan(0);
        expect(e.relevanceScore).toBeLessThanOrEqual(1);
      }
    }
    expect(hits.length).toBeLessThanOrEqual(25);
  });

  it('finds a labelled document and returns {} metadata when none is requested', () => {
    const hits = search(demo, { queryString: facts.labelledDoc.query });
    expect(hits[0]?.webUrl).toBe(facts.labelledDoc.document.webUrl);
    expect(hits[0]?.resourceMetadata).toEqual({});
    expect(hits[0]?.sensitivityLabel?.displayName).toBe(facts.labelledDoc.label.displayName);
  });

  it('returns every supported metadata field by request, case-insensitively, and ignores unknown ones', () => {
    const doc = facts.vpnGuide.document;
    const names = ['title', 'author', 'filename', 'fileExtension', 'fileType', 'lastModifiedTime', 'modifiedBy', 'path', 'siteId', 'createdTime', 'SIZE'];
    const hit = search(demo, { queryString: facts.vpnGuide.query, resourceMetadata: names })[0];
    expect(hit?.resourceMetadata).toEqual({
      title: doc.title,
      author: doc.author,
      filename: doc.filename,
      fileExtension: doc.fileExtension,
      fileType: doc.fileType,
      lastModifiedTime: doc.lastModifiedTime,
      modifiedBy: doc.modifiedBy,
      path: doc.webUrl,
      siteId: doc.siteId,
      createdTime: doc.createdTime,
    });
  });

  it('honours maximumNumberOfResults and returns nothing for a query with no known terms', () => {
    expect(search(demo, { queryString: facts.vpnGuide.query, maximumNumberOfResults: 3 })).toHaveLength(3);
    expect(search(demo, { queryString: 'zyzzyva quux' })).toEqual([]);
  });

  it('never gives a user an extract from a document they cannot read', () => {
    const own = retrieve(tenant, facts.privateDoc.owner.id, { queryString: facts.privateDoc.query, dataSource: 'oneDriveBusiness' }).retrievalHits;
    expect(own[0]?.webUrl).toBe(facts.privateDoc.document.webUrl);
    const privateTexts = new Set(facts.privateDoc.document.chunks);
    for (const user of tenant.users) {
      if (user.id === facts.privateDoc.owner.id) continue;
      for (const dataSource of ['oneDriveBusiness', 'sharePoint'] as const) {
        const hits = retrieve(tenant, user.id, { queryString: facts.privateDoc.query, dataSource }).retrievalHits;
        expect(hits.some((h) => h.webUrl === facts.privateDoc.document.webUrl)).toBe(false);
        expect(hits.flatMap((h) => h.extracts).some((e) => privateTexts.has(e.text))).toBe(false);
      }
    }
  });

  it('lets the people a OneDrive file is shared with find it, and nobody else', () => {
    const { document, sharedWith, outsider, query } = facts.sharedDoc;
    for (const user of sharedWith) {
      const hits = retrieve(tenant, user.id, { queryString: query, dataSource: 'oneDriveBusiness' }).retrievalHits;
      expect(hits.some((h) => h.webUrl === document.webUrl)).toBe(true);
    }
    const hits = retrieve(tenant, outsider.id, { queryString: query, dataSource: 'oneDriveBusiness' }).retrievalHits;
    expect(hits.some((h) => h.webUrl === document.webUrl)).toBe(false);
  });

  it('applies site permissions, and document permissions within a site', () => {
    const { document, member, outsider, query } = facts.restrictedDoc;
    expect(search(member.id, { queryString: query })[0]?.webUrl).toBe(document.webUrl);
    expect(search(outsider.id, { queryString: query }).some((h) => h.webUrl === document.webUrl)).toBe(false);

    const narrowed = tenant.documents.filter((d) => d.source === 'sharePoint' && Array.isArray(d.readers) && tenant.sites.find((s) => s.id === d.siteId)?.readers === 'everyone');
    expect(narrowed.length).toBeGreaterThan(0);
    for (const doc of narrowed.slice(0, 5)) {
      const excluded = tenant.users.find((u) => !(doc.readers as string[]).includes(u.id));
      if (!excluded) continue;
      const hits = search(excluded.id, { queryString: doc.chunks[0] ?? doc.title, maximumNumberOfResults: 25 });
      expect(hits.some((h) => h.webUrl === doc.webUrl)).toBe(false);
    }
  });

  it('keeps sharePoint and oneDriveBusiness apart', () => {
    const sp = search(demo, { queryString: facts.privateDoc.query });
    expect(sp.some((h) => h.webUrl === facts.privateDoc.document.webUrl)).toBe(false);
    const od = retrieve(tenant, demo, { queryString: facts.vpnGuide.query, dataSource: 'oneDriveBusiness' }).retrievalHits;
    expect(od.every((h) => h.webUrl.includes('-my.sharepoint.com/personal/'))).toBe(true);
  });

  it('scopes with a KQL filter before ranking', () => {
    const { query, filterExpression, fileExtension } = facts.kqlExample;
    const unfiltered = search(demo, { queryString: query, resourceMetadata: ['fileExtension'] });
    expect(unfiltered.some((h) => h.resourceMetadata['fileExtension'] !== fileExtension)).toBe(true);
    const filtered = search(demo, { queryString: query, filterExpression, resourceMetadata: ['fileExtension'] });
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((h) => h.resourceMetadata['fileExtension'] === fileExtension)).toBe(true);

    const it = tenant.sites.find((s) => s.name === 'IT');
    const byPath = search(demo, { queryString: facts.vpnGuide.query, filterExpression: `Path:"${it?.webUrl}/"` });
    expect(byPath.length).toBeGreaterThan(0);
    expect(byPath.every((h) => h.webUrl.startsWith(`${it?.webUrl}/`))).toBe(true);
  });

  it('runs unscoped when the filter is invalid', () => {
    const plain = search(demo, { queryString: facts.kqlExample.query });
    for (const filterExpression of ['FileExtension:"pdf" AND (', 'Size>10', 'pdf']) {
      expect(search(demo, { queryString: facts.kqlExample.query, filterExpression })).toEqual(plain);
    }
  });

  it('searches connectors: configured connections, queryable-property filters, no label, second extract unscored', () => {
    const { connection, query, filterExpression, labelTitle, item } = facts.connector;
    const body: RetrievalRequestBody = {
      queryString: query,
      dataSource: 'externalItem',
      dataSourceConfiguration: { externalItem: { connections: [{ connectionId: connection.id }] } },
      filterExpression,
      resourceMetadata: ['title', 'Label_Title'],
    };
    const hits = retrieve(tenant, demo, body).retrievalHits;
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.map((h) => h.webUrl)).toContain(item.webUrl);
    for (const hit of hits) {
      expect(hit.resourceType).toBe('externalItem');
      expect(hit.resourceMetadata['Label_Title']).toBe(labelTitle);
      expect(hit).not.toHaveProperty('sensitivityLabel');
      expect(hit.extracts[0]?.relevanceScore).toBeGreaterThan(0);
      if (hit.extracts[1]) expect(hit.extracts[1]).not.toHaveProperty('relevanceScore');
    }
    const other = retrieve(tenant, demo, { ...body, dataSourceConfiguration: { externalItem: { connections: [{ connectionId: 'ContosoHRServiceNowKB' }] } } }).retrievalHits;
    expect(other.some((h) => h.webUrl === item.webUrl)).toBe(false);
    const all = retrieve(tenant, demo, { queryString: 'payslip payroll', dataSource: 'externalItem' }).retrievalHits;
    expect(all.length).toBeGreaterThan(0);
  });
});
