import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFilter, pair } from '../../src/tools/exportInteractions.js';
import { AiInteractionSchema, type AiInteraction } from '../../src/graph/copilot/schemas.js';
import { friendlyApp } from '../../src/tools/appClasses.js';
import { fileLine, lineUser, toInteraction, type ExportUser } from '../../src/tools/export/shape.js';
import { page } from '../contract/fixtures/export.js';

const base = { sessionId: 's1', appClass: 'IPM.SkypeTeams.Message.Copilot.BizChat', conversationType: 'bizchat', locale: 'en-us', attachments: [], links: [], mentions: [], contexts: [] };
const item = (id: string, type: 'userPrompt' | 'aiResponse', requestId: string | null, text: string) =>
  ({ ...base, id, requestId, interactionType: type, createdDateTime: `2026-11-0${id}T00:00:00Z`, body: { contentType: 'text', content: text } }) as unknown as AiInteraction;

describe('export filter', () => {
  it('or-chains app classes and adds both date bounds', () => {
    expect(buildFilter(['A', 'B'], undefined)).toBe("appClass eq 'A' or appClass eq 'B'");
    expect(buildFilter(['A', 'B'], { since: '2026-01-01T00:00:00.000Z', until: '2026-02-01T00:00:00.000Z' })).toBe(
      "(appClass eq 'A' or appClass eq 'B') and createdDateTime gt 2026-01-01T00:00:00.000Z and createdDateTime lt 2026-02-01T00:00:00.000Z",
    );
    expect(buildFilter(undefined, undefined)).toBeUndefined();
    expect(buildFilter(["O'Brien"], undefined)).toBe("appClass eq 'O''Brien'");
  });
});

describe('prompt/response pairing', () => {
  it('pairs by requestId and keeps unpaired items on their own', () => {
    const ex = pair([item('1', 'userPrompt', 'r1', 'Q1'), item('2', 'aiResponse', 'r1', 'A1'), item('3', 'userPrompt', null, 'Q2'), item('4', 'aiResponse', 'r2', 'A2')]);
    expect(ex).toHaveLength(3);
    expect(ex[0]).toMatchObject({ requestId: 'r1', app: 'bizChat', interactions: [{ text: 'Q1', type: 'prompt' }, { text: 'A1', type: 'response' }] });
    expect(ex[1]!.requestId).toBeUndefined();
    expect(ex[1]!.interactions).toMatchObject([{ text: 'Q2', type: 'prompt' }]);
    expect(ex[2]).toMatchObject({ requestId: 'r2', interactions: [{ text: 'A2', type: 'response' }] });
  });

  it('puts the prompt first even when Graph lists the response first', () => {
    const ex = pair([item('2', 'aiResponse', 'r1', 'A1'), item('1', 'userPrompt', 'r1', 'Q1')]);
    expect(ex[0]!.interactions.map((i) => i.type)).toEqual(['prompt', 'response']);
  });
});

describe('file export lines', () => {
  /** The line as it was first defined: page mode's interaction plus the user, app, session and request. */
  const reference = (user: ExportUser, i: AiInteraction) =>
    `${JSON.stringify({ user: user.upn ? { id: user.id, upn: user.upn } : { id: user.id }, app: friendlyApp(i.appClass), sessionId: i.sessionId, ...(i.requestId ? { requestId: i.requestId } : {}), ...toInteraction(i) })}\n`;
  const users: ExportUser[] = [{ id: 'u1' }, { id: 'u2', upn: 'adele.vance@contoso.com' }];

  it('are the bytes JSON.stringify gives for the documented page', () => {
    for (const raw of page().value) {
      const i = AiInteractionSchema.parse(raw);
      for (const user of users) expect(fileLine(lineUser(user), i)).toBe(reference(user, i));
    }
  });

  it('are the bytes JSON.stringify gives for generated interactions (fast-check seed 20261202)', () => {
    const s = fc.string({ unit: 'binary', maxLength: 20 });
    const item = fc.record({
      id: s,
      sessionId: s,
      requestId: fc.option(s, { nil: null }),
      appClass: fc.oneof(fc.constantFrom('IPM.SkypeTeams.Message.Copilot.BizChat', 'ipm.skypeteams.message.copilot.word', 'IPM.SkypeTeams.Message.Copilot.Future'), s),
      interactionType: fc.constantFrom('userPrompt', 'aiResponse', 'unknownFutureValue'),
      createdDateTime: fc.option(fc.constant('2026-11-08T12:10:44.451Z'), { nil: null }),
      body: fc.option(fc.record({ contentType: fc.constantFrom('text', 'html'), content: fc.oneof(s, fc.constant('<p>a &amp; "b"</p><attachment id="a1"></attachment>')) }), { nil: null }),
      attachments: fc.array(fc.record({ attachmentId: fc.constantFrom('a1', 'a2'), name: fc.option(s, { nil: null }), contentType: fc.option(s, { nil: null }), contentUrl: fc.option(s, { nil: null }), content: fc.constant(null) }), { maxLength: 2 }),
      links: fc.array(fc.record({ linkUrl: fc.option(s, { nil: null }), displayName: fc.option(s, { nil: null }), linkType: fc.option(s, { nil: null }) }), { maxLength: 2 }),
      mentions: fc.array(fc.record({ mentionText: fc.option(s, { nil: null }), mentioned: fc.option(fc.record({ user: fc.record({ id: fc.option(s, { nil: null }) }) }), { nil: null }) }), { maxLength: 2 }),
      contexts: fc.constant([]),
    });
    fc.assert(
      fc.property(item, fc.constantFrom(...users), (raw, user) => {
        const i = AiInteractionSchema.parse(raw);
        expect(fileLine(lineUser(user), i)).toBe(reference(user, i));
      }),
      { numRuns: 2000, seed: 20261202 },
    );
  });
});
