import { describe, expect, it } from 'vitest';
import { buildFilter, pair } from '../../src/tools/exportInteractions.js';
import type { AiInteraction } from '../../src/graph/copilot/schemas.js';

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
