import * as z from 'zod';
import { AppError } from '../errors.js';
import { chatOverStream, createConversation, type Conversation } from '../graph/copilot/chat.js';
import { CHAT_SCOPES } from '../graph/copilot/chatPermissions.js';
import { labelOf } from '../graph/copilot/schemas.js';
import { withholdingReason } from '../policy/labelPolicy.js';
import { defineTool } from './tool.js';


const input = z.object({
  message: z.string().trim().min(1).max(10_000).describe('What to ask Microsoft 365 Copilot, in natural language.'),
  conversationId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,100}$/, 'a conversation id as an earlier copilot_chat answer gave it')
    .optional()
    .describe('Continue this conversation (the conversationId of an earlier answer); omit to start a new one.'),
  timeZone: z.string().min(1).max(64).optional().describe('IANA time zone for questions about dates and times, e.g. "Europe/Berlin" (default: the server\'s zone).'),
  webGrounding: z.boolean().optional().describe('Let Copilot also ground on the web for this turn (default: the tenant setting, usually on).'),
});

const Label = z.object({ id: z.string(), name: z.string().optional(), priority: z.number().optional(), isEncrypted: z.boolean().optional() });

const output = z.object({
  conversationId: z.string().describe('Pass it back as conversationId to ask a follow-up in the same conversation.'),
  turnCount: z.number().optional(),
  state: z.string().optional().describe('active, or disengagedForRai when Copilot ended the conversation.'),
  answer: z.string().describe('Copilot\'s answer; [^n^] marks refer to citations[n-1].'),
  citations: z.array(z.object({ title: z.string().optional(), url: z.string(), label: Label.optional() })),
  sensitivityLabel: Label.optional().describe('The sensitivity label Copilot gave the answer (the most sensitive of what grounded it).'),
  withheld: z
    .literal('policy')
    .optional()
    .describe("Set when this server's sensitivity-label policy kept the answer text from you: cite the sources, do not guess the content."),
});

type Out = z.output<typeof output>;

export const chatTool = defineTool({
  name: 'copilot_chat',
  title: 'Ask Microsoft 365 Copilot (Chat, beta)',
  description: [
    '[BETA] Ask Microsoft 365 Copilot a question and get its answer grounded in the signed-in user\'s work content (files, mail, meetings, chats) and the web, with citations.',
    'This uses the preview Copilot Chat API in Microsoft Graph beta: its behaviour and shape may change without notice.',
    'Returns conversationId (pass it back to ask a follow-up in the same conversation), the answer text with [^n^] citation marks, the cited sources with urls, and the answer\'s sensitivity label.',
    'Prefer copilot_retrieve when you need the source passages themselves. Needs a Microsoft 365 Copilot licence; enabled with --enable-beta.',
  ].join(' '),
  instructions: 'copilot_chat asks Microsoft 365 Copilot itself and returns its answer with citations',
  toolset: 'chat',
  stability: 'beta',
  // Microsoft documents the Chat API for the global service and US Government L4 and L5
  // (MicrosoftDocs/m365copilot-docs, docs/api/ai-services/chat: national cloud availability).
  api: { name: 'the Copilot Chat API (beta)', clouds: ['global', 'usgov', 'usgovdod'] },
  readOnly: true,
  input,
  output,
  permissions: { delegated: CHAT_SCOPES, application: [] },
  audited: { message: 'text', conversationId: 'value', timeZone: 'value', webGrounding: 'value' },
  examples: { message: 'What did we decide about the travel policy?', conversationId: '0d110e7e-2b7e-4270-a899-fd2af6fde333', timeZone: 'Europe/Berlin', webGrounding: false },
  async handle(args, ctx) {
    const conversationId = args.conversationId ?? (await createConversation(ctx.graph, ctx.signal)).id;
    // Copilot can think for tens of seconds: a notification now keeps clients that reset their timeout on progress waiting.
    await ctx.progress(1, undefined, 'Asking Microsoft 365 Copilot…');
    const timeZone = args.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
    // Every event is the whole conversation so far, the answer growing: its growth is relayed as
    // progress (its length, never its text: the label policy decides on the last event), and the last event is the answer.
    let latest: Conversation | undefined;
    let events = 0;
    await chatOverStream(
      ctx.graph,
      conversationId,
      { text: args.message, timeZone, webGrounding: args.webGrounding },
      async (conversation) => {
        // Intermediate events may carry messages: [] (the chatOverStream examples): they do not replace the answer so far.
        if ((conversation.messages?.length ?? 0) > 0 || !latest) latest = conversation;
        events++;
        await ctx.progress(1 + events, undefined, `Copilot is answering… (${answerOf(conversation.messages ?? [])?.text?.length ?? 0} characters so far)`);
      },
      ctx.signal,
    ).catch((err: unknown) => {
      // Conversations belong to one user and do not live forever: say how to carry on.
      if (err instanceof AppError && err.code === 'NotFound' && args.conversationId)
        throw new AppError('NotFound', `Conversation ${args.conversationId} was not found for the signed-in user (it may have expired or belong to someone else).`, {
          nextStep: 'Call copilot_chat again without conversationId to start a new conversation.',
          cause: err,
          details: err.details,
        });
      throw err;
    });
    if (!latest) throw new AppError('BadGraphResponse', 'Copilot ended the stream without an answer', { nextStep: 'Retry; if it persists, use copilot_retrieve instead.' });
    const data = latest;
    const messages = data.messages ?? [];
    // The answer is the response message; the prompt is echoed before it.
    const reply = answerOf(messages);
    // Documented answers carry a label whose fields are all null: that is "no label".
    const label = labelOf(reply?.sensitivityLabel);
    const citations: Out['citations'] = [];
    for (const a of reply?.attributions ?? []) {
      if (!a.seeMoreWebUrl || (a.attributionType && a.attributionType !== 'citation')) continue;
      const citationLabel = labelOf(a.sensitivityLabel);
      citations.push({ url: a.seeMoreWebUrl, ...(a.providerDisplayName ? { title: a.providerDisplayName } : {}), ...(citationLabel ? { label: citationLabel } : {}) });
    }
    const answer = stripEntityTags(reply?.text ?? '');
    const withheld = withholdingReason(ctx.policy.labels, label) !== undefined;
    const structured: Out = {
      conversationId: data.id,
      ...(data.turnCount !== undefined && data.turnCount !== null ? { turnCount: data.turnCount } : {}),
      ...(data.state ? { state: data.state } : {}),
      answer: withheld ? '' : answer,
      citations,
      ...(label ? { sensitivityLabel: label } : {}),
      ...(withheld ? { withheld: 'policy' as const } : {}),
    };
    return { structured, text: renderText(structured) };
  },
});

/** Copilot wraps entities in <File>, <Person>, <Event> tags for its own UI; the name inside is what reads well. */
function stripEntityTags(text: string): string {
  return text.replace(/<\/?(?:File|Person|Event)\b[^<>]*>/g, '');
}

function renderText(out: Out): string {
  const lines = [`Copilot (conversation ${out.conversationId}${out.turnCount ? `, turn ${out.turnCount}` : ''}${out.sensitivityLabel?.name ? `, label ${out.sensitivityLabel.name}` : ''}):`];
  lines.push(out.withheld ? "(answer withheld by this server's sensitivity-label policy: cite the sources below by title and url only)" : out.answer);
  if (out.citations.length) {
    lines.push('', 'Sources:');
    out.citations.forEach((c, i) => lines.push(`[${i + 1}] ${c.title ?? c.url}${c.label?.name ? ` [${c.label.name}]` : ''}\n    ${c.url}`));
  }
  lines.push('', `Ask a follow-up with conversationId "${out.conversationId}".`);
  return lines.join('\n');
}

/** The answer is the response message; the prompt is echoed before it. */
function answerOf<M extends { '@odata.type'?: string | null | undefined }>(messages: M[]): M | undefined {
  return [...messages].reverse().find((m) => m['@odata.type']?.toLowerCase().includes('response')) ?? messages[messages.length - 1];
}
