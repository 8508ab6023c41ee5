import { describe, expect, it } from 'vitest';
import { CLOUD_ENDPOINTS } from '../../src/graph/clouds.js';
import {
  AiInteractionSchema,
  CallAiInsightSchema,
  CallAiInsightSummarySchema,
  EventSchema,
  OnlineMeetingSchema,
  RetrievalResponseSchema,
  UserSchema,
  labelOf,
} from '../../src/graph/copilot/schemas.js';
import { Interaction, toInteraction } from '../../src/tools/export/shape.js';
import { encodeQuery } from '../../src/graph/url.js';

describe('graph schemas', () => {
  it('reads the contract retrieval example, connector hits without score or label, and label spellings', () => {
    const r = RetrievalResponseSchema.parse({
      retrievalHits: [
        {
          webUrl: 'https://contoso.sharepoint.com/sites/HR/VPNAccess.docx',
          extracts: [{ text: 'a', relevanceScore: 0.83 }],
          resourceType: 'listItem',
          resourceMetadata: { title: 'VPN Access', author: 'John Doe' },
          sensitivityLabel: { sensitivityLabelId: 'f71f', displayName: 'Confidential', tooltip: 'lower', priority: 4, color: '#FF8C00' },
        },
        { webUrl: 'https://contoso.service-now.com/kb', extracts: [{ text: 'b' }, { text: 'c', relevanceScore: null }], resourceType: 'externalItem', resourceMetadata: {} },
        { webUrl: 'https://x', sensitivityLabel: { sensitivityLabelId: 'l2', toolTip: 'camel' } },
      ],
    });
    expect(r.retrievalHits[0]!.sensitivityLabel?.tooltip).toBe('lower');
    expect(r.retrievalHits[1]!.sensitivityLabel).toBeUndefined();
    expect(r.retrievalHits[1]!.extracts.map((e) => e.relevanceScore)).toEqual([undefined, undefined]);
    expect(r.retrievalHits[2]!.extracts).toEqual([]);
    expect(r.retrievalHits[2]!.sensitivityLabel?.tooltip).toBe('camel');
    expect(RetrievalResponseSchema.parse({}).retrievalHits).toEqual([]);
  });

  // msgraph-metadata@f54f11b6 schemas/v1.0-Prod.csdl: every sensitivityLabelInfo field, retrievalHit.webUrl and
  // retrievalExtract.text are nullable; the chat examples add isEncrypted (m365copilot-docs@90efae84 chatoverstream).
  it('tolerates every null the CSDL allows in a retrieval answer, and a label with a null id is no label', () => {
    const r = RetrievalResponseSchema.parse({
      retrievalHits: [
        { webUrl: null, extracts: [{ text: null, relevanceScore: 0.4 }], sensitivityLabel: { sensitivityLabelId: null, displayName: null, tooltip: null, priority: null, color: null, isEncrypted: null } },
        { webUrl: 'https://x', sensitivityLabel: { displayName: 'General' } },
        { webUrl: 'https://y', sensitivityLabel: { sensitivityLabelId: 'l3', displayName: 'Secret', priority: 9, isEncrypted: true } },
      ],
    });
    expect(r.retrievalHits[0]!.webUrl).toBeNull();
    expect(r.retrievalHits[0]!.extracts).toEqual([{ text: '', relevanceScore: 0.4, pageNumbers: [] }]);
    expect(labelOf(r.retrievalHits[0]!.sensitivityLabel)).toBeUndefined();
    expect(labelOf(r.retrievalHits[1]!.sensitivityLabel)).toBeUndefined();
    expect(labelOf(r.retrievalHits[2]!.sensitivityLabel)).toEqual({ id: 'l3', name: 'Secret', priority: 9, isEncrypted: true });
    // Still a type error for what the CSDL does not allow.
    expect(RetrievalResponseSchema.safeParse({ retrievalHits: [{ webUrl: 7 }] }).success).toBe(false);
  });

  it('reads an aiInteraction whose createdDateTime is null as unknown time', () => {
    const i = AiInteractionSchema.parse({ id: '1', sessionId: 's', appClass: 'IPM.SkypeTeams.Message.Copilot.BizChat', interactionType: 'userPrompt', createdDateTime: null, locale: 'en-us', from: { user: { id: 'u' } } });
    expect(i.createdDateTime).toBeNull();
    const out = toInteraction(i);
    expect(out).not.toHaveProperty('time');
    expect(Interaction.parse(out)).toEqual(out);
  });

  it('reads the contract aiInteraction examples, null parts and missing arrays', () => {
    const response = AiInteractionSchema.parse({
      id: '1732148357313',
      sessionId: '19:YzBP@thread.v2',
      requestId: null,
      appClass: 'IPM.SkypeTeams.Message.Copilot.CoworkChat',
      interactionType: 'aiResponse',
      conversationType: 'bizchat',
      etag: '1732148357313',
      createdDateTime: '2024-11-21T00:19:17.313Z',
      locale: 'en-us',
      contexts: [],
      from: { '@odata.type': '#microsoft.graph.chatMessageFromIdentitySet', device: null, user: null, application: { id: 'fb8d', displayName: 'Microsoft 365 Chat', applicationIdentityType: 'bot' } },
      body: { contentType: 'html', content: '<attachment id="4062"></attachment>' },
      attachments: [{ attachmentId: '4062', contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: '{}', name: null }],
      links: [{ linkUrl: 'https://teams', displayName: 'meeting', linkType: 'Event' }],
      mentions: [{ mentionId: 0, mentionText: 'Adele', mentioned: { user: { id: 'u2', displayName: 'Adele' }, conversation: null, tag: null } }],
    });
    expect(response.requestId).toBeNull();
    expect(response.from?.application?.displayName).toBe('Microsoft 365 Chat');
    expect(response.mentions[0]!.mentioned?.user?.id).toBe('u2');
    const bare = AiInteractionSchema.parse({ id: '1', sessionId: 's', appClass: 'a', interactionType: 'userPrompt', createdDateTime: '2026-01-01T00:00:00Z', attachments: null });
    expect([bare.attachments, bare.links, bare.mentions, bare.contexts]).toEqual([[], [], [], []]);
    expect(AiInteractionSchema.safeParse({ id: '1', appClass: 'a', interactionType: 'x', createdDateTime: 'now' }).error?.issues[0]?.path).toEqual(['sessionId']);
  });

  it('reads meeting insights: list items and the full insight with mention speakers', () => {
    expect(CallAiInsightSummarySchema.parse({ id: 'VjEj', callId: 'af63', contentCorrelationId: 'bc84', createdDateTime: '2024-05-27T08:17:10Z', endDateTime: '2024-05-27T08:17:10Z' }).id).toBe('VjEj');
    const full = CallAiInsightSchema.parse({
      '@odata.context': 'x',
      id: 'Z2HW',
      meetingNotes: [{ title: 'Intro', text: 'Stakeholders', subpoints: [{ title: 'Actions', text: 'Assigned' }] }],
      actionItems: [{ title: 'Timeline', text: 'Finalize', ownerDisplayName: 'Bella Smith' }],
      viewpoint: {
        mentionEvents: [
          {
            speaker: { application: null, device: null, user: { '@odata.type': '#Microsoft.Teams.GraphSvc.teamworkUserIdentity', id: '9a76', displayName: 'John Smith', userIdentityType: 'aadUser' } },
            eventDateTime: '2024-05-21T09:00:00',
            transcriptUtterance: 'We need approval',
          },
        ],
      },
    });
    expect(full.meetingNotes[0]!.subpoints[0]!.title).toBe('Actions');
    expect(full.viewpoint?.mentionEvents[0]!.speaker?.user?.displayName).toBe('John Smith');
    expect(CallAiInsightSchema.parse({ id: 'only-id' }).actionItems).toEqual([]);
  });

  it('reads meetings, events and users with only the id required', () => {
    expect(OnlineMeetingSchema.parse({ id: 'MSoy', joinWebUrl: 'https://teams', subject: null, chatInfo: { threadId: '19:m' } }).chatInfo?.threadId).toBe('19:m');
    const e = EventSchema.parse({ id: 'e1', subject: 'Sync', start: { dateTime: '2026-01-01T09:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-01-01T09:30:00.0000000', timeZone: 'UTC' }, isOnlineMeeting: true, onlineMeeting: { joinUrl: 'https://teams' }, organizer: { emailAddress: { name: 'A', address: 'a@x' } } });
    expect(e.onlineMeeting?.joinUrl).toBe('https://teams');
    expect(EventSchema.safeParse({ id: 'e2', start: { timeZone: 'UTC' } }).success).toBe(false);
    expect(UserSchema.parse({ id: 'u1', userPrincipalName: 'a@x', mail: null })).toMatchObject({ id: 'u1', userPrincipalName: 'a@x' });
    expect(UserSchema.safeParse({ displayName: 'No Id' }).success).toBe(false);
  });
});

describe('clouds', () => {
  it('pairs each Graph host with its authority, and knows where the Copilot APIs exist', () => {
    expect(CLOUD_ENDPOINTS.global).toMatchObject({ graphOrigin: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com', graphResource: 'https://graph.microsoft.com' });
    expect(CLOUD_ENDPOINTS.usgov.authorityHost).toBe('https://login.microsoftonline.us');
    expect(CLOUD_ENDPOINTS.usgovdod).toMatchObject({ graphOrigin: 'https://dod-graph.microsoft.us', authorityHost: 'https://login.microsoftonline.us' });
    expect(CLOUD_ENDPOINTS.china).toMatchObject({ graphOrigin: 'https://microsoftgraph.chinacloudapi.cn', authorityHost: 'https://login.chinacloudapi.cn' });
    for (const c of Object.values(CLOUD_ENDPOINTS)) expect(c.graphResource).toBe(c.graphOrigin);
  });
});

describe('query encoding', () => {
  it('encodes each value on its own and keeps $ in names', () => {
    expect(encodeQuery({ $filter: "a eq 'b c'&d=e", $top: '5', skip: undefined, 'we ird': 'x+y' })).toBe("$filter=a%20eq%20'b%20c'%26d%3De&$top=5&we%20ird=x%2By");
  });
});
