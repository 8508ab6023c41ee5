import * as z from 'zod';
import { withFastPath } from '../fastPath.js';
import { decodeAiInteractionInPlace } from './interactionFastDecode.js';
import { decodeRetrievalResponseFast } from './retrievalFastDecode.js';

/*
 * The shapes of the Graph answers the tools read, validated at the boundary. Tolerant on purpose:
 * extra fields pass through, Graph's "evolvable" enums are plain strings (it adds values over time),
 * optional fields may be null, and array fields default to []. Only what a tool cannot work
 * without is required, so a missing one is reported instead of surfacing later as `undefined`.
 */

const text = z.string().nullish();
const number = z.number().nullish();
/** Absent, null or [] all mean "none". */
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

// ---------- shared ----------

export const IdentitySchema = z.looseObject({
  id: text,
  displayName: text,
});

export const IdentitySetSchema = z.looseObject({
  user: IdentitySchema.nullish(),
  application: IdentitySchema.nullish(),
  device: IdentitySchema.nullish(),
});

// ---------- retrieval (contract §1.4) ----------

/*
 * Every field of sensitivityLabelInfo (v1.0 CSDL) and searchSensitivityLabelInfo is nullable, and
 * the documented chat messages carry a label whose fields are all null plus isEncrypted
 * (m365copilot-docs docs/api/ai-services/chat/copilotconversation-chatoverstream.md). A label
 * whose id is null is "no label": `labelOf` turns it into undefined.
 */
export const SensitivityLabelSchema = z
  .looseObject({
    sensitivityLabelId: text,
    displayName: text,
    tooltip: text,
    // The Retrieval doc examples spell it toolTip; the resource page and SDK use tooltip (contract §7.1).
    toolTip: text,
    priority: number,
    color: text,
    // Only in the chat examples (always null there); kept when Graph says true or false.
    isEncrypted: z.boolean().nullish(),
  })
  .transform(({ toolTip, ...label }) => ({ ...label, tooltip: label.tooltip ?? toolTip ?? undefined }));

/** What a tool shows of a label: its id, name, priority and whether it encrypts; undefined when Graph's label has no id. */
export interface LabelSummary {
  id: string;
  name?: string;
  priority?: number;
  isEncrypted?: boolean;
}

export function labelOf(label: SensitivityLabel | null | undefined): LabelSummary | undefined {
  if (!label?.sensitivityLabelId) return undefined;
  return {
    id: label.sensitivityLabelId,
    ...(label.displayName ? { name: label.displayName } : {}),
    ...(typeof label.priority === 'number' ? { priority: label.priority } : {}),
    ...(typeof label.isEncrypted === 'boolean' ? { isEncrypted: label.isEncrypted } : {}),
  };
}

export const RetrievalExtractSchema = z.looseObject({
  // Nullable in the CSDL (retrievalExtract.text): null reads as an empty extract.
  text: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  // Missing for connector content; null is treated the same.
  relevanceScore: z
    .number()
    .nullish()
    .transform((v) => v ?? undefined),
  // beta, with includeThumbnails: the pages the extract is on.
  pageNumbers: list(z.number()),
});

// beta, with includeThumbnails (retrievalThumbnail): the resource page names the type mediaType, the example mimeType.
export const RetrievalThumbnailSchema = z.looseObject({
  pageNumber: number,
  content: text,
  mediaType: text,
  mimeType: text,
});

export const RetrievalHitSchema = z.looseObject({
  // Nullable in the CSDL (retrievalHit.webUrl); a hit without one cannot be cited, so the tool drops it and says so.
  webUrl: text,
  extracts: list(RetrievalExtractSchema),
  resourceType: text,
  resourceMetadata: z.record(z.string(), z.unknown()).nullish(),
  sensitivityLabel: SensitivityLabelSchema.nullish(),
  thumbnails: list(RetrievalThumbnailSchema),
});

/** The schema as zod defines it; RetrievalResponseSchema is the same with a hand-written fast path. */
export const RetrievalResponseZodSchema = z.looseObject({
  retrievalHits: list(RetrievalHitSchema),
});
export const RetrievalResponseSchema = withFastPath(RetrievalResponseZodSchema, decodeRetrievalResponseFast);

export type SensitivityLabel = z.output<typeof SensitivityLabelSchema>;
export type RetrievalExtract = z.output<typeof RetrievalExtractSchema>;
export type RetrievalHit = z.output<typeof RetrievalHitSchema>;
export type RetrievalResponse = z.output<typeof RetrievalResponseZodSchema>;

// ---------- interaction export (contract §2.7) ----------

export const ItemBodySchema = z.looseObject({
  contentType: text,
  content: text,
});

export const AiInteractionAttachmentSchema = z.looseObject({
  attachmentId: text,
  content: text,
  contentType: text,
  contentUrl: text,
  name: text,
});

export const AiInteractionLinkSchema = z.looseObject({
  displayName: text,
  linkType: text,
  linkUrl: text,
});

export const AiInteractionMentionSchema = z.looseObject({
  mentionId: number,
  mentionText: text,
  mentioned: IdentitySetSchema.extend({
    conversation: z.looseObject({ id: text, displayName: text, conversationIdentityType: text }).nullish(),
    tag: z.looseObject({ id: text, displayName: text }).nullish(),
  }).nullish(),
});

export const AiInteractionContextSchema = z.looseObject({
  contextReference: text,
  contextType: text,
  displayName: text,
});

/** The schema as zod defines it; AiInteractionSchema is the same with a hand-written fast path that checks in place. */
export const AiInteractionZodSchema = z.looseObject({
  id: z.string(),
  sessionId: z.string(),
  // Null for some app classes in the field; pairing then falls back to standing alone.
  requestId: text,
  appClass: z.string(),
  interactionType: z.string(),
  conversationType: text,
  etag: text,
  // Nullable in the CSDL (aiInteraction.createdDateTime): null is "unknown time".
  createdDateTime: text,
  locale: text,
  body: ItemBodySchema.nullish(),
  from: IdentitySetSchema.nullish(),
  attachments: list(AiInteractionAttachmentSchema),
  links: list(AiInteractionLinkSchema),
  mentions: list(AiInteractionMentionSchema),
  contexts: list(AiInteractionContextSchema),
});
/** Its safeParse may set a missing list of the value it is given to [] (interactionFastDecode.ts): give it freshly parsed JSON. */
export const AiInteractionSchema = withFastPath(AiInteractionZodSchema, decodeAiInteractionInPlace);

export type AiInteraction = z.output<typeof AiInteractionZodSchema>;

// ---------- meeting AI insights (contract §3.4) ----------

export const CallAiInsightSummarySchema = z.looseObject({
  id: z.string(),
  callId: text,
  contentCorrelationId: text,
  createdDateTime: text,
  endDateTime: text,
});

export const MeetingNoteSchema = z.looseObject({
  title: text,
  text: text,
  subpoints: list(z.looseObject({ title: text, text: text })),
});

export const ActionItemSchema = z.looseObject({
  title: text,
  text: text,
  ownerDisplayName: text,
});

export const MentionEventSchema = z.looseObject({
  eventDateTime: text,
  speaker: IdentitySetSchema.nullish(),
  transcriptUtterance: text,
});

export const CallAiInsightSchema = CallAiInsightSummarySchema.extend({
  meetingNotes: list(MeetingNoteSchema),
  actionItems: list(ActionItemSchema),
  viewpoint: z.looseObject({ mentionEvents: list(MentionEventSchema) }).nullish(),
});

export type CallAiInsightSummary = z.output<typeof CallAiInsightSummarySchema>;
export type CallAiInsight = z.output<typeof CallAiInsightSchema>;

// ---------- meetings, calendar, users ----------

export const OnlineMeetingSchema = z.looseObject({
  id: z.string(),
  joinWebUrl: text,
  // Meet-now and some ad hoc meetings have no subject.
  subject: text,
  startDateTime: text,
  endDateTime: text,
  chatInfo: z.looseObject({ threadId: text, messageId: text, replyChainMessageId: text }).nullish(),
});

const DateTimeTimeZoneSchema = z.looseObject({
  dateTime: z.string(),
  timeZone: text,
});

export const EventSchema = z.looseObject({
  id: z.string(),
  subject: text,
  start: DateTimeTimeZoneSchema.nullish(),
  end: DateTimeTimeZoneSchema.nullish(),
  isOnlineMeeting: z.boolean().nullish(),
  onlineMeetingProvider: text,
  onlineMeeting: z.looseObject({ joinUrl: text }).nullish(),
  organizer: z.looseObject({ emailAddress: z.looseObject({ name: text, address: text }).nullish() }).nullish(),
});

// Which of these come back depends on $select, so only the id is required.
export const UserSchema = z.looseObject({
  id: z.string(),
  displayName: text,
  userPrincipalName: text,
  mail: text,
});

export type OnlineMeeting = z.output<typeof OnlineMeetingSchema>;
export type CalendarEvent = z.output<typeof EventSchema>;
export type User = z.output<typeof UserSchema>;
