import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { appOnlyToken, deviceCodeTokens } from '../helpers/emulatorToken.js';
import type { EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { factsOf } from '../tools/facts.js';
import { CsdlChecker, loadCsdl } from './csdlTypes.js';
import * as exportFixtures from './fixtures/export.js';
import * as meetings from './fixtures/meetings.js';
import * as retrieval from './fixtures/retrieval.js';

/*
 * Every emulator answer of the v1.0 routes the tools read, checked against Microsoft's CSDL
 * (csdl/v1.0-copilot.csdl.xml: an extract of microsoftgraph/msgraph-metadata@f54f11b6
 * schemas/v1.0-Prod.csdl). Not covered here: the beta-only APIs (chat, search, the beta retrieval
 * fields), whose beta-Prod.csdl the mirror did not hold; the usage reports, which are Edm.Stream
 * (CSV); Graph's own non-Copilot types (users, events, onlineMeetings).
 */

const checker = new CsdlChecker(loadCsdl(new URL('./csdl/v1.0-copilot.csdl.xml', import.meta.url)));

describe('the CSDL checker', () => {
  it('names an undeclared property, a wrong type, a forbidden null, a missing non-nullable property and a bad enum member', () => {
    expect(checker.check({ retrievalHits: [] }, 'graph.retrievalResponse')).toEqual([]);
    const issues = checker.check(
      {
        retrievalHits: [
          { webUrl: null, extracts: [{ text: 'a', relevanceScore: '0.5' }], resourceType: 'document', sensitivityLabel: { sensitivityLabelId: null, colour: 'red' }, score: 1 },
          { webUrl: 'https://x', extracts: null },
        ],
      },
      'graph.retrievalResponse',
    );
    expect(issues).toEqual([
      '$.retrievalHits[0].extracts[0].relevanceScore: expected Edm.Double, got string',
      '$.retrievalHits[0].resourceType: "document" is not a member of retrievalEntityType (site, list, listItem, drive, driveItem, externalItem, unknownFutureValue)',
      '$.retrievalHits[0].sensitivityLabel.colour: not a property of sensitivityLabelInfo (not an open type)',
      '$.retrievalHits[0].score: not a property of retrievalHit (not an open type)',
      '$.retrievalHits[1].extracts: null, and retrievalHit.extracts is not nullable',
    ]);
    expect(checker.check({ id: '1', sessionId: 's', appClass: 'a', interactionType: 'userPrompt', locale: 'en-us' }, 'graph.aiInteraction')).toEqual(['$.from: missing, and aiInteraction.from is not nullable']);
    // Open types take what they do not declare; @odata.type picks a derived type.
    expect(checker.check({ user: { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id: 'u', userIdentityType: 'aadUser', tenantId: 't' } }, 'graph.identitySet')).toEqual([]);
    expect(checker.check({ user: { '@odata.type': '#microsoft.graph.teamworkUserIdentity', userIdentityType: 'robot' } }, 'graph.identitySet')).toHaveLength(1);
  });
});

// The replay fixtures must be answers Graph may give: the v1.0 ones are held to the same CSDL.
describe('the v1.0 replay fixtures against the CSDL', () => {
  it('retrieval, interaction export and meeting insights fixtures conform (their nulls included)', () => {
    // Microsoft's sources disagree here: the Retrieval examples spell the label's tooltip toolTip, the
    // CSDL tooltip. The fixture follows the examples (the server reads both); nothing else may differ.
    expect(checker.check(retrieval.sharePointHits, 'graph.retrievalResponse')).toEqual(['$.retrievalHits[0].sensitivityLabel.toolTip: not a property of sensitivityLabelInfo (not an open type)']);
    expect(checker.check(retrieval.connectorHits, 'graph.retrievalResponse')).toEqual([]);
    expect(checker.check(exportFixtures.page().value, 'Collection(graph.aiInteraction)')).toEqual([]);
    expect(checker.check(meetings.insightList.value, 'Collection(graph.callAiInsight)')).toEqual([]);
    expect(checker.check(meetings.insight, 'graph.callAiInsight')).toEqual([]);
    // The beta fixture's pageNumbers and thumbnails are not v1.0's.
    expect(checker.check(retrieval.thumbnailHits, 'graph.retrievalResponse').length).toBeGreaterThan(0);
  });
});

describe('emulator answers against the CSDL', () => {
  let emulator: EmulatorProcess;
  let facts: TenantFacts;
  let delegated: string;
  let app: string;
  const graph = async (token: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(path.startsWith('http') ? path : `${emulator.descriptor.graphBaseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    emulator = await useSharedEmulator({ deviceCodeIntervalSec: 1 });
    facts = await factsOf(emulator);
    delegated = (await deviceCodeTokens(emulator, facts.demoUser.upn, ['Files.Read.All', 'Sites.Read.All', 'ExternalItem.Read.All', 'OnlineMeetingAiInsight.Read.All'])).access_token;
    app = await appOnlyToken(emulator);
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('POST /v1.0/copilot/retrieval: retrievalResponse, for every source and for $batch items', async () => {
    const bodies = [
      { queryString: facts.vpnGuide.query, dataSource: 'sharePoint', resourceMetadata: ['title', 'author'] },
      { queryString: facts.vpnGuide.query, dataSource: 'oneDriveBusiness' },
      { queryString: facts.connector.query, dataSource: 'externalItem', resourceMetadata: ['title'] },
      { queryString: facts.connector.query, dataSource: 'externalItem', dataSourceConfiguration: { externalItem: { connections: [{ connectionId: facts.connector.connection.id }] } } },
    ];
    let hits = 0;
    for (const body of bodies) {
      const answer = await graph(delegated, '/v1.0/copilot/retrieval', { method: 'POST', body: JSON.stringify(body) });
      expect(checker.check(answer, 'graph.retrievalResponse'), JSON.stringify(body)).toEqual([]);
      hits += (answer['retrievalHits'] as unknown[]).length;
    }
    expect(hits).toBeGreaterThan(0);
    const batch = await graph(delegated, '/v1.0/$batch', { method: 'POST', body: JSON.stringify({ requests: bodies.map((b, i) => ({ id: String(i), method: 'POST', url: '/copilot/retrieval', headers: { 'content-type': 'application/json' }, body: b })) }) });
    for (const r of batch['responses'] as { status: number; body: unknown }[]) {
      expect(r.status).toBe(200);
      expect(checker.check(r.body, 'graph.retrievalResponse')).toEqual([]);
    }
  });

  it('getAllEnterpriseInteractions: every aiInteraction of the first pages', async () => {
    let url: string | undefined = `/v1.0/copilot/users/${facts.interactions.user.id}/interactionHistory/getAllEnterpriseInteractions?$top=100`;
    let seen = 0;
    for (let page = 0; url && page < 5; page++) {
      const answer = await graph(app, url);
      const issues = checker.check(answer['value'], 'Collection(graph.aiInteraction)', '$.value');
      expect(issues.slice(0, 10)).toEqual([]);
      seen += (answer['value'] as unknown[]).length;
      url = answer['@odata.nextLink'] as string | undefined;
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('aiInsights: the list and one insight are callAiInsight', async () => {
    const { meeting, insight } = facts.meetings.withInsights;
    const base = `/v1.0/copilot/users/${facts.demoUser.id}/onlineMeetings/${encodeURIComponent(meeting.id)}/aiInsights`;
    const list = await graph(delegated, base);
    expect((list['value'] as unknown[]).length).toBeGreaterThan(0);
    expect(checker.check(list['value'], 'Collection(graph.callAiInsight)', '$.value')).toEqual([]);
    const one = await graph(delegated, `${base}/${encodeURIComponent(insight.id)}`);
    expect(checker.check(one, 'graph.callAiInsight')).toEqual([]);
    expect((one['actionItems'] as unknown[]).length + (one['meetingNotes'] as unknown[]).length).toBeGreaterThan(0);
  });
});
