import * as z from 'zod';
import { AppError } from '../../errors.js';
import type { GraphClient } from '../client.js';
import { CHAT_SCOPES } from './chatPermissions.js';
import { delegated, ROUTES } from './routes.js';
import { SensitivityLabelSchema } from './schemas.js';

/*
 * Copilot Chat (beta): POST /beta/copilot/conversations, then .../conversations/{id}/chatOverStream
 * (MicrosoftDocs/m365copilot-docs docs/api/ai-services/chat/*).
 */

const AttributionSchema = z.looseObject({
  attributionType: z.string().nullish(),
  attributionSource: z.string().nullish(),
  providerDisplayName: z.string().nullish(),
  seeMoreWebUrl: z.string().nullish(),
  sensitivityLabel: SensitivityLabelSchema.nullish(),
});

const MessageSchema = z.looseObject({
  '@odata.type': z.string().nullish(),
  id: z.string().nullish(),
  text: z.string().nullish(),
  attributions: z.array(AttributionSchema).nullish(),
  sensitivityLabel: SensitivityLabelSchema.nullish(),
});

export const ConversationSchema = z.looseObject({
  id: z.string(),
  state: z.string().nullish(),
  turnCount: z.number().nullish(),
  messages: z.array(MessageSchema).nullish(),
});
export type Conversation = z.output<typeof ConversationSchema>;
export type ConversationMessage = z.output<typeof MessageSchema>;

export interface ChatTurn {
  text: string;
  timeZone: string;
  /** Undefined: the tenant's setting. */
  webGrounding?: boolean | undefined;
}

const common = { version: 'beta' as const, scopes: CHAT_SCOPES, permissions: delegated(CHAT_SCOPES) };

export async function createConversation(graph: GraphClient, signal?: AbortSignal): Promise<Conversation> {
  const { data } = await graph.request({ ...common, method: 'POST', route: ROUTES.createConversation, path: '/copilot/conversations', body: {}, schema: ConversationSchema, ...(signal ? { signal } : {}) });
  return data;
}

/**
 * The streamed variant: every event is the whole conversation so far, the answer growing. Each is
 * handed to `onEvent` as it arrives, parsed; an event that is not a conversation fails the call.
 */
export async function chatOverStream(graph: GraphClient, conversationId: string, turn: ChatTurn, onEvent: (c: Conversation) => Promise<void>, signal?: AbortSignal): Promise<void> {
  await graph.stream({
    ...common,
    method: 'POST',
    route: ROUTES.chatOverStream,
    path: `/copilot/conversations/${encodeURIComponent(conversationId)}/chatOverStream`,
    body: {
      message: { text: turn.text },
      locationHint: { timeZone: turn.timeZone },
      ...(turn.webGrounding === undefined ? {} : { contextualResources: { webContext: { isWebEnabled: turn.webGrounding } } }),
    },
    onEvent: async (event) => {
      const parsed = ConversationSchema.safeParse(event);
      if (!parsed.success)
        throw new AppError('BadGraphResponse', `Copilot streamed an event that is not a conversation (${parsed.error.issues[0]?.path.join('.') || 'root'}: ${parsed.error.issues[0]?.message})`, {
          nextStep: 'Retry; if it persists, ground the answer with Copilot Retrieval instead.',
        });
      await onEvent(parsed.data);
    },
    ...(signal ? { signal } : {}),
  });
}
