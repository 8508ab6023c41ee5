import { randomUUID } from 'node:crypto';
import type { EmuLabel, GraphRequest, GraphResponse, Tenant } from '../model.js';
import { retrieve, type RetrievalHit } from '../search/retrievalQuery.js';
import { isLicensed, LICENCE_MESSAGE, missingScopes } from './callerPermissions.js';
import { odataContext, userById, type RouteContext, type RouteHandler, type RouteParams } from './routeContext.js';
import { replyFor, type Reply } from './graphErrorReplies.js';

/**
 * Copilot Chat (beta, contract §4, §6.12): conversations grounded in what the caller may read.
 * The emulator grounds on SharePoint and OneDrive through the same lexical retrieval as
 * /copilot/retrieval, so an answer can never cite a file the caller could not retrieve.
 */
export const CREATE_CONVERSATION_ROUTE = 'POST /copilot/conversations';
export const CHAT_ROUTE = 'POST /copilot/conversations/{id}/chat';
export const CHAT_STREAM_ROUTE = 'POST /copilot/conversations/{id}/chatOverStream';

/**
 * The delegated permissions the Copilot Chat API requires: all of them, or the call fails. The
 * emulator's own copy of the contract, taken from Microsoft's Chat API reference (MicrosoftDocs/
 * m365copilot-docs, docs/api/ai-services/chat/copilotroot-post-conversations.md and
 * copilotconversation-chat.md, "Permissions" table: "You need all of these Microsoft Graph
 * permissions"). Deliberately not shared with the client: were the client's list wrong, a shared
 * list would make the emulator enforce the same mistake and the tests agree with it.
 */
export const CHAT_SCOPES: readonly string[] = [
  'Sites.Read.All',
  'Mail.Read',
  'People.Read.All',
  'OnlineMeetingTranscript.Read.All',
  'Chat.Read',
  'ChannelMessage.Read.All',
  'ExternalItem.Read.All',
];
const MAX_MESSAGE_LENGTH = 10_000;
/** What an unlabelled message carries in every documented example: the label object, every field null. */
const NO_LABEL = { sensitivityLabelId: null, displayName: null, tooltip: null, priority: null, color: null, isEncrypted: null };
const GROUNDING_PER_SOURCE = 3;
const MAX_CITATIONS = 4;
const STREAM_EVENTS = 4;
const KNOWN_FIELDS = new Set(['message', 'locationHint', 'additionalContext', 'contextualResources', 'responseOptions']);

interface StoredMessage {
  '@odata.type': string;
  id: string;
  text: string;
  createdDateTime: string;
  [key: string]: unknown;
}

interface Conversation {
  id: string;
  ownerId: string;
  createdDateTime: string;
  displayName: string;
  state: 'active';
  turnCount: number;
  /** Prompts so far: a follow-up ("and who wrote it?") is grounded together with the earlier ones. */
  prompts: string[];
}

const conversationsByTenant = new WeakMap<Tenant, Map<string, Conversation>>();
function store(ctx: RouteContext): Map<string, Conversation> {
  let map = conversationsByTenant.get(ctx.tenant);
  if (!map) conversationsByTenant.set(ctx.tenant, (map = new Map()));
  return map;
}

function admit(req: GraphRequest, ctx: RouteContext, reply: Reply) {
  if (req.version !== 'beta') return reply.error(400, 'BadRequest', "Resource not found for the segment 'conversations'. The Copilot Chat API is available in beta only.");
  const caller = req.caller;
  if (caller.kind !== 'delegated') {
    return reply.error(403, 'accessDenied', 'Application permissions are not supported for the Copilot Chat API. Call it with a delegated token (a signed-in user).');
  }
  const missing = missingScopes(caller, CHAT_SCOPES);
  if (missing.length > 0) return reply.error(403, 'accessDenied', `Access denied: the token lacks the delegated permission(s) ${missing.join(', ')}; the Copilot Chat API requires all of ${CHAT_SCOPES.join(', ')}.`);
  if (!isLicensed(userById(ctx, caller.userId))) return reply.error(403, 'Forbidden', LICENCE_MESSAGE);
  return undefined;
}

function view(req: GraphRequest, c: Conversation, messages?: StoredMessage[]): Record<string, unknown> {
  return {
    '@odata.context': odataContext(req, 'microsoft.graph.copilotConversation'),
    id: c.id,
    // Every documented conversation event carries it (null: not an agent's conversation).
    agentId: null,
    createdDateTime: c.createdDateTime,
    displayName: c.displayName,
    state: c.state,
    turnCount: c.turnCount,
    ...(messages ? { messages } : {}),
  };
}

export const createConversationHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, CREATE_CONVERSATION_ROUTE);
  const refused = admit(req, ctx, reply);
  if (refused) return refused;
  if (req.body !== undefined && (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body))) {
    return reply.error(400, 'invalidRequest', 'The request body must be an empty JSON object {}.');
  }
  const conversation: Conversation = {
    id: randomUUID(),
    ownerId: (req.caller as { userId: string }).userId.toLowerCase(),
    createdDateTime: new Date(ctx.clock()).toISOString(),
    displayName: '',
    state: 'active',
    turnCount: 0,
    prompts: [],
  };
  store(ctx).set(conversation.id, conversation);
  return { ...reply.ok(view(req, conversation)), status: 201 };
};

export const chatHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, CHAT_ROUTE);
  const turn = takeTurn(req, params, ctx, reply);
  return 'error' in turn ? turn.error : reply.ok(view(req, turn.conversation, [turn.prompt, turn.answer]));
};

/**
 * The streamed variant, as copilotconversation-chatoverstream.md (MicrosoftDocs/m365copilot-docs@90efae84,
 * Example 1) shows it: `text/event-stream` events, each a copilotConversation with an `id:` line;
 * first "Intermediate Conversation Update" events (turnCount 0) carrying the answer as it grows, one
 * of them with `messages: []`, then the whole conversation of the turn (the prompt's recap and the
 * answer, with its attributions and label). The emulator writes all events in one body (the
 * gateway does not flush per event); each event's JSON is one line (the example pretty-prints it,
 * which the SSE format cannot carry).
 */
export const chatOverStreamHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, CHAT_STREAM_ROUTE);
  const turn = takeTurn(req, params, ctx, reply);
  if ('error' in turn) return turn.error;
  const { conversation, prompt, answer } = turn;
  const words = answer.text.split(/(?<=\s)/);
  const step = Math.max(1, Math.ceil(words.length / STREAM_EVENTS));
  const intermediate = (messages: StoredMessage[]) => ({ ...view(req, conversation, messages), displayName: 'Intermediate Conversation Update', turnCount: 0 });
  const events: unknown[] = [];
  for (let i = step; i < words.length; i += step) {
    events.push(intermediate([{ ...answer, text: words.slice(0, i).join(''), attributions: [], sensitivityLabel: NO_LABEL }]));
    if (events.length === 1) events.push(intermediate([]));
  }
  events.push(view(req, conversation, [prompt, answer]));
  let id = 0;
  const body = events.map((e) => `data: ${JSON.stringify(e)}\nid:${(id += 1 + (id % 3))}\n\n`).join('');
  return { status: 200, route: CHAT_STREAM_ROUTE, headers: { 'Content-Type': 'text/event-stream; charset=utf-8' }, body };
};

function takeTurn(req: GraphRequest, params: RouteParams, ctx: RouteContext, reply: Reply): { conversation: Conversation; prompt: StoredMessage; answer: StoredMessage } | { error: GraphResponse } {
  const refused = admit(req, ctx, reply);
  if (refused) return { error: refused };
  const userId = (req.caller as { userId: string }).userId;
  const conversation = store(ctx).get((params['id'] ?? '').toLowerCase());
  // Another user's conversation is as invisible as one that never existed.
  if (!conversation || conversation.ownerId !== userId.toLowerCase()) {
    return { error: reply.error(404, 'NotFound', `Conversation '${params['id'] ?? ''}' was not found. Create one with POST /copilot/conversations.`) };
  }
  const parsed = parseChatBody(req.body);
  if (typeof parsed === 'string') return { error: reply.error(400, 'invalidRequest', parsed) };

  const now = new Date(ctx.clock()).toISOString();
  conversation.prompts.push(parsed.text);
  conversation.turnCount += 1;
  if (!conversation.displayName) conversation.displayName = parsed.text.slice(0, 80);
  // The conversation's messages are copilotConversationResponseMessage, the first one recapping the
  // prompt (copilotconversation.md: messages; copilotconversationresponsemessage.md: text).
  const prompt: StoredMessage = {
    '@odata.type': '#microsoft.graph.copilotConversationResponseMessage',
    id: randomUUID(),
    text: parsed.text,
    createdDateTime: now,
    adaptiveCards: [],
    attributions: [],
    sensitivityLabel: NO_LABEL,
  };
  return { conversation, prompt, answer: answerFor(ctx.tenant, userId, conversation.prompts, now) };
}

function parseChatBody(body: unknown): { text: string } | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'The request body must be a JSON object with message and locationHint.';
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!KNOWN_FIELDS.has(name) && !name.startsWith('@odata.')) return `The parameter '${name}' in the request payload is not a valid parameter for the operation 'chat'.`;
  }
  const message = fields['message'];
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return 'The message property is required: { "text": "…" }.';
  const text = (message as Record<string, unknown>)['text'];
  if (typeof text !== 'string' || text.trim() === '') return 'message.text is required and must be a non-empty string.';
  if (text.length > MAX_MESSAGE_LENGTH) return `message.text is ${text.length} characters long; the limit is ${MAX_MESSAGE_LENGTH}.`;
  const hint = fields['locationHint'];
  if (hint === null || typeof hint !== 'object' || Array.isArray(hint)) return 'The locationHint property is required: { "timeZone": "<IANA time zone>" }.';
  const timeZone = (hint as Record<string, unknown>)['timeZone'];
  if (typeof timeZone !== 'string' || timeZone.trim() === '') return 'locationHint.timeZone is required (an IANA time zone such as "Europe/Berlin").';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    return `locationHint.timeZone '${timeZone}' is not a valid IANA time zone.`;
  }
  const extra = fields['additionalContext'];
  if (extra !== undefined && extra !== null && (!Array.isArray(extra) || !extra.every((e) => e !== null && typeof e === 'object' && typeof (e as Record<string, unknown>)['text'] === 'string'))) {
    return 'additionalContext must be an array of { text, description? }.';
  }
  return { text };
}

/**
 * Grounded on the newest prompt first; when that finds nothing, on the whole conversation, so a
 * follow-up without keywords of its own stays on topic.
 */
function answerFor(tenant: Tenant, userId: string, prompts: string[], now: string): StoredMessage {
  let hits = ground(tenant, userId, prompts[prompts.length - 1] ?? '');
  if (hits.length === 0 && prompts.length > 1) hits = ground(tenant, userId, prompts.join(' '));
  const labelsById = new Map(tenant.labels.map((l) => [l.id, l]));
  const cited = hits.slice(0, MAX_CITATIONS);
  let text: string;
  if (cited.length === 0) {
    text = "I couldn't find anything in your Microsoft 365 content about that. Try other key words, or ask about a document you have access to.";
  } else {
    const lines = cited.map((h, i) => {
      const title = h.resourceMetadata['title'] ?? h.webUrl;
      const extract = (h.extracts[0]?.text ?? '').trim();
      return `${i === 0 ? 'According to' : 'See also'} <File>${title}</File>: ${extract} [^${i + 1}^]`;
    });
    text = `Here is what I found in your Microsoft 365 content.\n\n${lines.join('\n\n')}`;
  }
  const attributions = cited.map((h) => ({
    attributionType: 'citation',
    attributionSource: 'grounding',
    providerDisplayName: h.resourceMetadata['title'] ?? h.webUrl,
    seeMoreWebUrl: h.webUrl,
    // Strings, never null: every documented attribution has "" when there is no image.
    imageWebUrl: '',
    imageFavIcon: '',
    imageWidth: 0,
    imageHeight: 0,
  }));
  // The answer carries the most sensitive label among what grounded it, as Copilot labels responses.
  let label: EmuLabel | undefined;
  for (const h of cited) {
    const l = h.sensitivityLabel ? labelsById.get(h.sensitivityLabel.sensitivityLabelId) : undefined;
    if (l && (!label || l.priority > label.priority)) label = l;
  }
  return {
    '@odata.type': '#microsoft.graph.copilotConversationResponseMessage',
    id: randomUUID(),
    text,
    createdDateTime: now,
    adaptiveCards: [],
    attributions,
    sensitivityLabel: label
      ? { sensitivityLabelId: label.id, displayName: label.displayName, tooltip: label.tooltip, priority: label.priority, color: label.color, isEncrypted: false }
      : NO_LABEL,
  };
}

function ground(tenant: Tenant, userId: string, query: string): RetrievalHit[] {
  const sources = (['sharePoint', 'oneDriveBusiness'] as const).map((dataSource) =>
    retrieve(tenant, userId, { queryString: query, dataSource, maximumNumberOfResults: GROUNDING_PER_SOURCE, resourceMetadata: ['title'] }).retrievalHits,
  );
  const score = (h: RetrievalHit) => h.extracts[0]?.relevanceScore ?? 0;
  return sources.flat().sort((a, b) => score(b) - score(a));
}
