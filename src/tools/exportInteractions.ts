import { createHash } from 'node:crypto';
import * as z from 'zod';
import { AppError } from '../errors.js';
import { AiInteractionSchema, UserSchema, type AiInteraction } from '../graph/schemas.js';
import { APP_CLASSES, APP_NAMES, friendlyApp } from './appClasses.js';
import { bodyToPlainText } from './plainText.js';
import { defineTool } from './tool.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PAGE_SIZE = 100; // the value Graph recommends for this API
const ONE_SIDED_WINDOW_DAYS = 30;
const isoInstant = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z',
  });

const input = z
  .object({
    userId: z
      .string()
      .trim()
      .refine((s) => GUID.test(s) || UPN.test(s), { message: 'must be an Entra object id (GUID) or a user principal name (name@domain)' })
      .describe('Whose Copilot interactions to export: Entra object id or UPN.'),
    appClass: z.array(z.enum(APP_NAMES)).min(1).max(APP_NAMES.length).optional().describe('Only these Copilot apps.'),
    since: isoInstant.optional().describe('Start of the time window (ISO 8601). Alone, the window runs to now.'),
    until: isoInstant.optional().describe(`End of the time window (ISO 8601). Alone, the window starts ${ONE_SIDED_WINDOW_DAYS} days earlier.`),
    limit: z.number().int().min(1).max(1000).default(50).describe('Maximum interactions to return (1–1000, default 50).'),
    cursor: z.string().min(1).max(8192).optional().describe('nextCursor from a previous call, to continue the same export.'),
  })
  .superRefine((a, ctx) => {
    if (a.since && a.until && Date.parse(a.since) >= Date.parse(a.until)) ctx.addIssue({ code: 'custom', path: ['until'], message: 'until must be later than since' });
  });

const Interaction = z.object({
  id: z.string(),
  time: z.string(),
  type: z.enum(['prompt', 'response', 'other']),
  text: z.string(),
  attachments: z.array(z.object({ name: z.string().optional(), type: z.string(), url: z.string().optional() })).optional(),
  links: z.array(z.object({ title: z.string().optional(), url: z.string(), type: z.string().optional() })).optional(),
  mentions: z.array(z.object({ text: z.string(), userId: z.string().optional() })).optional(),
});

const Exchange = z.object({
  requestId: z.string().optional(),
  sessionId: z.string(),
  app: z.string(),
  /** The prompt first (when in this page), then its responses. */
  interactions: z.array(Interaction),
});

const output = z.object({
  user: z.object({ id: z.string(), upn: z.string().optional() }),
  window: z.object({ since: z.string(), until: z.string() }).optional(),
  appClasses: z.array(z.string()).optional(),
  count: z.number().describe('Interactions returned in this call.'),
  exchanges: z.array(Exchange).describe('A prompt then its responses, paired by requestId; oldest first.'),
  nextCursor: z.string().optional().describe('Pass as `cursor` to get the next interactions; absent when the export is complete.'),
});
type Out = z.output<typeof output>;
type OutInteraction = z.output<typeof Interaction>;

interface Cursor {
  v: 1;
  /** Fingerprint of the query, so a cursor cannot be replayed against another user or filter. */
  q: string;
  u: string;
  s: number;
}

export const exportInteractionsTool = defineTool({
  name: 'copilot_export_interactions',
  title: 'Export Copilot interactions (compliance)',
  description: [
    "Export a user's Microsoft 365 Copilot prompts and responses (Copilot Chat, Teams, Word, Excel, PowerPoint, Outlook, …) for compliance review.",
    'Returns exchanges (a prompt and its responses paired by requestId) with the plain text, app, time, and attachment/link/mention summaries,',
    'oldest first, and nextCursor when more exist. Uses the app-only permission AiEnterpriseInteraction.Read.All (an admin-consented app).',
  ].join(' '),
  input,
  output,
  permissions: { delegated: [], application: ['AiEnterpriseInteraction.Read.All', 'User.Read.All'] },
  async handle(args, ctx) {
    const window = completeWindow(args.since, args.until);
    const classes = args.appClass?.map((a) => APP_CLASSES[a]);
    const filter = buildFilter(classes, window);
    const user = await resolveUser(args.userId, ctx);
    const fingerprint = createHash('sha256').update(JSON.stringify([user.id, filter])).digest('base64url').slice(0, 16);
    const base = new URL(ctx.environment.graphBaseUrl);
    const exportPath = `/copilot/users/${encodeURIComponent(user.id)}/interactionHistory/getAllEnterpriseInteractions`;

    let start: URL | string;
    let skip = 0;
    if (args.cursor) {
      const cursor = decodeCursor(args.cursor);
      if (cursor.q !== fingerprint)
        throw new AppError('InvalidArgument', 'cursor belongs to a different export (another user, app filter or time window)', {
          nextStep: 'Repeat the call with the same userId, appClass, since and until as the call that returned the cursor, or drop the cursor to start over.',
        });
      const url = new URL(cursor.u);
      if (url.origin !== base.origin || !url.pathname.toLowerCase().includes(exportPath.toLowerCase()))
        throw new AppError('InvalidArgument', 'cursor does not point at this export', { nextStep: 'Drop the cursor to start the export over.' });
      start = url;
      skip = cursor.s;
    } else {
      const query = new URLSearchParams({ $top: String(PAGE_SIZE) });
      if (filter) query.set('$filter', filter);
      start = `${exportPath}?${query.toString().replace(/\+/g, '%20')}`;
    }

    const taken: AiInteraction[] = [];
    let nextCursor: string | undefined;
    let pageUrl: string = typeof start === 'string' ? new URL(`${base.origin}/v1.0${start}`).toString() : start.toString();
    let pages = 0;
    for await (const page of ctx.appGraph.paginate({
      method: 'GET',
      path: start,
      scopes: [],
      permissions: ['AiEnterpriseInteraction.Read.All (application)'],
      itemSchema: AiInteractionSchema,
      signal: ctx.signal,
    })) {
      pages++;
      const items = page.items.slice(skip);
      const room = args.limit - taken.length;
      let use = Math.min(room, items.length);
      // Never split a prompt from its response across calls when the response is already in hand.
      while (use > 0 && use < items.length && sameRequest(items[use - 1]!, items[use]!)) use++;
      taken.push(...items.slice(0, use));
      if (use < items.length) {
        nextCursor = encodeCursor({ v: 1, q: fingerprint, u: pageUrl, s: skip + use });
        break;
      }
      skip = 0;
      if (!page.nextLink) break;
      pageUrl = page.nextLink;
      if (taken.length >= args.limit) {
        nextCursor = encodeCursor({ v: 1, q: fingerprint, u: page.nextLink, s: 0 });
        break;
      }
      if (args.limit > PAGE_SIZE) await ctx.progress(taken.length, args.limit, `exported ${taken.length} interactions (${pages} pages)`);
    }

    const structured: Out = {
      user: { id: user.id, ...(user.upn ? { upn: user.upn } : {}) },
      ...(window ? { window } : {}),
      ...(args.appClass ? { appClasses: args.appClass } : {}),
      count: taken.length,
      exchanges: pair(taken),
      ...(nextCursor ? { nextCursor } : {}),
    };
    return { structured, text: renderText(structured) };
  },
});

function sameRequest(a: AiInteraction, b: AiInteraction): boolean {
  return !!a.requestId && a.requestId === b.requestId && a.sessionId === b.sessionId;
}

function completeWindow(since?: string, until?: string): { since: string; until: string } | undefined {
  if (!since && !until) return undefined;
  const end = until ? new Date(until) : new Date();
  const begin = since ? new Date(since) : new Date(end.getTime() - ONE_SIDED_WINDOW_DAYS * 86_400_000);
  return { since: begin.toISOString(), until: end.toISOString() };
}

/** Graph needs both bounds when filtering on createdDateTime; the app classes are or-chained. */
export function buildFilter(classes: string[] | undefined, window: { since: string; until: string } | undefined): string | undefined {
  const parts: string[] = [];
  if (classes?.length) {
    const ors = classes.map((c) => `appClass eq '${c.replace(/'/g, "''")}'`);
    parts.push(ors.length > 1 && window ? `(${ors.join(' or ')})` : ors.join(' or '));
  }
  if (window) parts.push(`createdDateTime gt ${window.since} and createdDateTime lt ${window.until}`);
  return parts.length ? parts.join(' and ') : undefined;
}

async function resolveUser(userId: string, ctx: Parameters<typeof exportInteractionsTool.handle>[1]): Promise<{ id: string; upn?: string }> {
  if (GUID.test(userId)) return { id: userId };
  // The export path takes an object id; a UPN is resolved first (application permission User.Read.All).
  const { data } = await ctx.appGraph.request({
    method: 'GET',
    path: `/users/${encodeURIComponent(userId)}`,
    query: { $select: 'id,userPrincipalName' },
    scopes: [],
    permissions: ['User.Read.All (application)'],
    schema: UserSchema,
    signal: ctx.signal,
  });
  return { id: data.id, upn: data.userPrincipalName ?? userId };
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (c && c.v === 1 && typeof c.q === 'string' && typeof c.u === 'string' && Number.isInteger(c.s) && c.s >= 0) return c;
  } catch {
    // fall through to the error below
  }
  throw new AppError('InvalidArgument', 'cursor is not a cursor this server issued', { nextStep: 'Pass the nextCursor value exactly as returned, or drop it to start over.' });
}

function toInteraction(i: AiInteraction): OutInteraction {
  const attachments = (i.attachments ?? []).map((a) => ({
    ...(a.name ? { name: a.name } : {}),
    type: a.contentType ?? 'unknown',
    ...(a.contentUrl ? { url: a.contentUrl } : {}),
  }));
  const links = (i.links ?? []).filter((l) => l.linkUrl).map((l) => ({ ...(l.displayName ? { title: l.displayName } : {}), url: l.linkUrl!, ...(l.linkType ? { type: l.linkType } : {}) }));
  const mentions = (i.mentions ?? []).map((m) => ({ text: m.mentionText ?? '', ...(m.mentioned?.user?.id ? { userId: m.mentioned.user.id } : {}) }));
  return {
    id: i.id,
    time: i.createdDateTime,
    type: i.interactionType === 'userPrompt' ? 'prompt' : i.interactionType === 'aiResponse' ? 'response' : 'other',
    text: bodyToPlainText(i.body, i.attachments ?? []),
    ...(attachments.length ? { attachments } : {}),
    ...(links.length ? { links } : {}),
    ...(mentions.length ? { mentions } : {}),
  };
}

/** Groups interactions into exchanges by requestId; items without one stand alone. Order: first seen. */
export function pair(items: AiInteraction[]): Out['exchanges'] {
  const exchanges: Out['exchanges'] = [];
  const byKey = new Map<string, Out['exchanges'][number]>();
  for (const item of items) {
    const out = toInteraction(item);
    const key = item.requestId ? `${item.sessionId}\u0000${item.requestId}` : undefined;
    let ex = key ? byKey.get(key) : undefined;
    if (!ex) {
      ex = { ...(item.requestId ? { requestId: item.requestId } : {}), sessionId: item.sessionId, app: friendlyApp(item.appClass), interactions: [] };
      exchanges.push(ex);
      if (key) byKey.set(key, ex);
    }
    // Keep the prompt first even if Graph listed a response before it.
    if (out.type === 'prompt') ex.interactions.unshift(out);
    else ex.interactions.push(out);
  }
  return exchanges;
}

function renderText(out: Out): string {
  const who = out.user.upn ?? out.user.id;
  const lines = [
    `${out.count} interaction(s) in ${out.exchanges.length} exchange(s) for ${who}${out.window ? ` between ${out.window.since} and ${out.window.until}` : ''}${out.nextCursor ? '; more available (pass nextCursor as cursor)' : ''}.`,
  ];
  for (const ex of out.exchanges.slice(0, 50)) {
    const first = ex.interactions[0];
    lines.push(`- ${first?.time ?? ''} [${ex.app}]${first?.type === 'prompt' ? '' : ' (no prompt in this page)'}`);
    for (const i of ex.interactions) lines.push(`  ${i.type === 'prompt' ? 'Q' : 'A'}: ${clip(i.text)}`);
  }
  if (out.exchanges.length > 50) lines.push(`… ${out.exchanges.length - 50} more exchange(s) in the structured result.`);
  return lines.join('\n');
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
}
