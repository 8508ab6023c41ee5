import { isDeepStrictEqual } from 'node:util';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRetrievalResponseFast } from '../../src/graph/copilot/retrievalFastDecode.js';
import { RetrievalResponseSchema, RetrievalResponseZodSchema } from '../../src/graph/copilot/schemas.js';
import { connectorHits, sharePointHits, thumbnailHits } from '../contract/fixtures/retrieval.js';

/**
 * The hand-written decoder must be the schema, only faster: on every input it accepts it gives
 * zod's output exactly (undefined-valued keys included), and it accepts whatever zod accepts.
 */
function agrees(value: unknown): void {
  const fast = decodeRetrievalResponseFast(value);
  const zod = RetrievalResponseZodSchema.safeParse(value);
  if (fast !== undefined) {
    expect(zod.success, JSON.stringify(value)).toBe(true);
    expect(isDeepStrictEqual(fast, zod.data), `${JSON.stringify(value)}\nfast ${JSON.stringify(fast)}\nzod  ${JSON.stringify(zod.data)}`).toBe(true);
  } else {
    expect(zod.success, `the fast path refused what zod accepts: ${JSON.stringify(value)}`).toBe(false);
  }
}

/** A field: absent, null, a value of its type, or one of the wrong type. */
const field = (valid: fc.Arbitrary<unknown>) => fc.option(fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant([]), fc.constant({})) }), { nil: undefined, freq: 4 });
const record = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.tuple(fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, field(a)])), { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 })).map(([known, extra]) => ({ ...extra, ...known }));
const score = fc.double({ min: 0, max: 1, noNaN: true });
const extract = record({ text: fc.string(), relevanceScore: score, pageNumbers: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 3 }) });
const thumbnail = record({ pageNumber: fc.integer(), content: fc.base64String({ maxLength: 12 }), mediaType: fc.constant('image/png'), mimeType: fc.constant('image/jpeg') });
const label = record({ sensitivityLabelId: fc.uuid(), displayName: fc.string(), tooltip: fc.string(), toolTip: fc.string(), priority: fc.integer({ min: 0, max: 9 }), color: fc.string(), isEncrypted: fc.boolean() });
const hit = record({
  webUrl: fc.webUrl(),
  extracts: fc.array(extract, { maxLength: 3 }),
  resourceType: fc.constantFrom('listItem', 'externalItem', 'driveItem'),
  resourceMetadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  sensitivityLabel: label,
  thumbnails: fc.array(thumbnail, { maxLength: 2 }),
});
const response = record({ retrievalHits: fc.array(hit, { maxLength: 4 }) });

describe('the retrieval answer fast path', () => {
  it("gives the schema's output for Microsoft's documented answers", () => {
    for (const example of [sharePointHits, connectorHits, thumbnailHits]) {
      expect(decodeRetrievalResponseFast(example)).toBeDefined();
      agrees(example);
    }
  });

  it('agrees with the schema on 3,000 generated answers, valid or not (fast-check seed 20261202)', () => {
    fc.assert(fc.property(response, (value) => agrees(JSON.parse(JSON.stringify(value)))), { numRuns: 3000, seed: 20261202 });
  });

  it('leaves what it cannot judge to the schema, whose error names the field', () => {
    for (const odd of [null, [], 'x', { retrievalHits: {} }, { retrievalHits: [{ webUrl: 1 }] }]) agrees(odd);
    // An own __proto__ key is never decoded by hand (assignment would set a prototype): zod's answer, whatever it is.
    const proto: unknown = JSON.parse('{"retrievalHits":[{"__proto__":{"webUrl":"x"}}]}');
    expect(decodeRetrievalResponseFast(proto)).toBeUndefined();
    expect(RetrievalResponseSchema.safeParse(proto)).toEqual(RetrievalResponseZodSchema.safeParse(proto));
    const refused = RetrievalResponseSchema.safeParse({ retrievalHits: [{ extracts: [{ text: 5 }] }] });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['retrievalHits', 0, 'extracts', 0, 'text']);
  });
});
