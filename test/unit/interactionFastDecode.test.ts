import { isDeepStrictEqual } from 'node:util';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAiInteractionInPlace } from '../../src/graph/copilot/interactionFastDecode.js';
import { AiInteractionSchema, AiInteractionZodSchema } from '../../src/graph/copilot/schemas.js';
import { page } from '../contract/fixtures/export.js';

/**
 * The in-place decoder must be the schema, only cheaper: on every input it accepts it gives zod's
 * output exactly, it accepts whatever zod accepts, and what it refuses it leaves untouched.
 */
function agrees(value: unknown): void {
  const json = JSON.stringify(value);
  const zod = AiInteractionZodSchema.safeParse(JSON.parse(json));
  const fast = decodeAiInteractionInPlace(value);
  if (fast !== undefined) {
    expect(zod.success, json).toBe(true);
    expect(fast, 'the same object, checked in place').toBe(value);
    expect(isDeepStrictEqual(fast, zod.data), `${json}\nfast ${JSON.stringify(fast)}\nzod  ${JSON.stringify(zod.data)}`).toBe(true);
  } else {
    expect(zod.success, `the fast path refused what zod accepts: ${json}`).toBe(false);
    expect(JSON.stringify(value), 'a refused value is left as it came').toBe(json);
  }
}

/**
 * A field: absent, null, a value of its type, or (rarely: an item has some 30 fields) one of the
 * wrong type, so some 400 of the 3,000 generated items are valid and both answers are tried.
 */
const field = (valid: fc.Arbitrary<unknown>) =>
  fc.option(fc.oneof({ weight: 40, arbitrary: valid }, { weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant([]), fc.constant({})) }), { nil: undefined, freq: 10 });
const record = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .tuple(fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, field(a)])), { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }))
    .map(([known, extra]) => ({ ...extra, ...known }));
const s = fc.string({ maxLength: 12 });
const identity = record({ id: fc.uuid(), displayName: s, userIdentityType: fc.constant('aadUser') });
const identitySet = { user: identity, application: identity, device: identity };
const interaction = record({
  id: fc.stringMatching(/^\d{13}$/),
  sessionId: s,
  requestId: s,
  appClass: fc.constantFrom('IPM.SkypeTeams.Message.Copilot.BizChat', 'IPM.SkypeTeams.Message.Copilot.Word'),
  interactionType: fc.constantFrom('userPrompt', 'aiResponse'),
  conversationType: s,
  etag: s,
  createdDateTime: fc.constant('2026-11-08T12:10:44.451Z'),
  locale: fc.constant('en-us'),
  body: record({ contentType: fc.constantFrom('text', 'html'), content: s }),
  from: record(identitySet),
  attachments: fc.array(record({ attachmentId: s, content: s, contentType: s, contentUrl: fc.webUrl(), name: s }), { maxLength: 2 }),
  links: fc.array(record({ displayName: s, linkType: s, linkUrl: fc.webUrl() }), { maxLength: 2 }),
  mentions: fc.array(
    record({
      mentionId: fc.integer({ min: 0, max: 9 }),
      mentionText: s,
      mentioned: record({ ...identitySet, conversation: record({ id: s, displayName: s, conversationIdentityType: s }), tag: record({ id: s, displayName: s }) }),
    }),
    { maxLength: 2 },
  ),
  contexts: fc.array(record({ contextReference: s, contextType: s, displayName: s }), { maxLength: 2 }),
});

describe('the interaction export item fast path', () => {
  it("gives the schema's output for the documented export page", () => {
    for (const item of page().value) {
      const copy: unknown = JSON.parse(JSON.stringify(item));
      expect(decodeAiInteractionInPlace(copy)).toBeDefined();
      agrees(JSON.parse(JSON.stringify(item)));
    }
  });

  it('agrees with the schema on 3,000 generated items, valid or not (fast-check seed 20261202)', () => {
    fc.assert(
      fc.property(interaction, (value) => agrees(JSON.parse(JSON.stringify(value)))),
      { numRuns: 3000, seed: 20261202 },
    );
  });

  it('defaults missing and null lists to [] on the item itself', () => {
    const item: Record<string, unknown> = { id: '1', sessionId: 's', appClass: 'a', interactionType: 'userPrompt', attachments: null };
    expect(AiInteractionSchema.safeParse(item).success).toBe(true);
    expect([item['attachments'], item['links'], item['mentions'], item['contexts']]).toEqual([[], [], [], []]);
  });

  it('leaves what it cannot judge to the schema, whose error names the field', () => {
    for (const odd of [null, [], 'x', { id: 1 }, { id: '1', sessionId: 's', appClass: 'a', interactionType: 'x', mentions: [{ mentionId: 'zero' }] }]) agrees(odd);
    // An own __proto__ key is never decoded by hand: zod's answer, whatever it is.
    const proto: unknown = JSON.parse('{"id":"1","sessionId":"s","appClass":"a","interactionType":"x","__proto__":{"x":1}}');
    expect(decodeAiInteractionInPlace(proto)).toBeUndefined();
    const refused = AiInteractionSchema.safeParse({ id: '1', sessionId: 's', appClass: 'a', interactionType: 'x', links: [{ linkUrl: 5 }] });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['links', 0, 'linkUrl']);
  });
});
