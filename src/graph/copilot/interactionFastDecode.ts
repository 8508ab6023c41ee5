import type { AiInteraction } from './schemas.js';

/*
 * AiInteractionZodSchema's answer without zod, for the file export (issue 17): zod's check of each
 * exported interaction allocated half of everything the export allocated (a copy of every object
 * and array of the item, plus its own bookkeeping), which set how fast V8's young generation
 * filled and how much of it was promoted while pages were in flight.
 *
 * Unlike retrievalFastDecode.ts it checks IN PLACE and answers the value itself: its items come
 * straight from JSON.parse, held by nothing else, and the schema changes nothing of a valid item
 * except that an absent or null list becomes [] (`list` in schemas.ts), so setting those four
 * fields on the item gives what zod's copy holds. The whole item is checked before anything is
 * set, so a value it refuses is left as it came and the schema judges it with its precise issue.
 * test/unit/interactionFastDecode.test.ts compares the two on generated items.
 */

type Obj = Record<string, unknown>;
type Check = (v: unknown) => boolean;

/** A JSON object (no own `__proto__` key, which only the schema may judge): what the schema's looseObject accepts and copies. */
const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype && !Object.hasOwn(v, '__proto__');
const str: Check = (v) => typeof v === 'string';
const text: Check = (v) => v === undefined || v === null || typeof v === 'string';
const num: Check = (v) => v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v));

/** A looseObject's known fields; unknown ones pass as they are. */
function fields(v: unknown, checks: Record<string, Check>): v is Obj {
  if (!isPlainObject(v)) return false;
  for (const key in checks) if (!checks[key]!(v[key])) return false;
  return true;
}
const nullish =
  (checks: Record<string, Check>): Check =>
  (v) =>
    v === undefined || v === null || fields(v, checks);
const list =
  (checks: Record<string, Check>): Check =>
  (v) => {
    if (v === undefined || v === null) return true;
    if (!Array.isArray(v)) return false;
    for (let i = 0; i < v.length; i++) if (!fields(v[i], checks)) return false;
    return true;
  };

const IDENTITY = nullish({ id: text, displayName: text });
const IDENTITY_SET = { user: IDENTITY, application: IDENTITY, device: IDENTITY };
const LISTS = {
  attachments: list({ attachmentId: text, content: text, contentType: text, contentUrl: text, name: text }),
  links: list({ displayName: text, linkType: text, linkUrl: text }),
  mentions: list({
    mentionId: num,
    mentionText: text,
    mentioned: nullish({ ...IDENTITY_SET, conversation: nullish({ id: text, displayName: text, conversationIdentityType: text }), tag: nullish({ id: text, displayName: text }) }),
  }),
  contexts: list({ contextReference: text, contextType: text, displayName: text }),
};
const INTERACTION: Record<string, Check> = {
  id: str,
  sessionId: str,
  requestId: text,
  appClass: str,
  interactionType: str,
  conversationType: text,
  etag: text,
  createdDateTime: text,
  locale: text,
  body: nullish({ contentType: text, content: text }),
  from: nullish(IDENTITY_SET),
  ...LISTS,
};
const LIST_KEYS = Object.keys(LISTS) as (keyof typeof LISTS)[];

/** The item as the schema would give it (the same object, lists defaulted), or undefined for the schema to judge. */
export function decodeAiInteractionInPlace(value: unknown): AiInteraction | undefined {
  if (!fields(value, INTERACTION)) return undefined;
  for (const key of LIST_KEYS) if (value[key] === undefined || value[key] === null) value[key] = [];
  return value as AiInteraction;
}
