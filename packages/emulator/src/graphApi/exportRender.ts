import type { EmuInteraction, EmuUser } from '../model.js';
import { APP_DISPLAY_NAMES, APP_CLASS_PREFIX, type AppName } from '../data/interactionTemplates.js';
import { COPILOT_BOT_ID, teamworkUser } from './identities.js';

/** The Graph `aiInteraction` resource (contract §2.7, examples 6.5–6.6) from a compact record. */
export function renderInteraction(record: EmuInteraction, tenantId: string, usersById: ReadonlyMap<string, EmuUser>): Record<string, unknown> {
  const from =
    record.interactionType === 'userPrompt'
      ? {
          '@odata.type': '#microsoft.graph.chatMessageFromIdentitySet',
          application: null,
          device: null,
          // Exports show users' displayName as their Teams MRI, not their name.
          user: teamworkUser(record.userId, `8:orgid:${record.userId}`, tenantId),
        }
      : {
          '@odata.type': '#microsoft.graph.chatMessageFromIdentitySet',
          device: null,
          user: null,
          application: {
            '@odata.type': '#microsoft.graph.teamworkApplicationIdentity',
            id: COPILOT_BOT_ID,
            displayName: botName(record.appClass),
            applicationIdentityType: 'bot',
          },
        };
  return {
    id: record.id,
    sessionId: record.sessionId,
    requestId: record.requestId,
    appClass: record.appClass,
    interactionType: record.interactionType,
    conversationType: record.conversationType,
    etag: record.id,
    createdDateTime: record.createdDateTime,
    locale: record.locale,
    contexts: record.contexts.map((c) => ({ contextReference: c.contextReference, contextType: c.contextType, displayName: c.displayName })),
    from,
    body: { contentType: record.bodyContentType, content: record.body },
    attachments: record.attachments.map((a) => ({ attachmentId: a.attachmentId, contentType: a.contentType, contentUrl: a.contentUrl, content: a.content, name: a.name })),
    links: record.links.map((l) => ({ linkUrl: l.linkUrl, displayName: l.displayName, linkType: l.linkType })),
    mentions: record.mentions.map((m) => ({
      mentionId: m.mentionId,
      mentionText: m.mentionText,
      mentioned: {
        '@odata.type': '#microsoft.graph.aiInteractionMentionedIdentitySet',
        application: null,
        device: null,
        conversation: null,
        tag: null,
        user: teamworkUser(m.mentionedUserId, usersById.get(m.mentionedUserId.toLowerCase())?.displayName ?? m.mentionText, tenantId),
      },
    })),
  };
}

function botName(appClass: string): string {
  const app = appClass.startsWith(APP_CLASS_PREFIX) ? (appClass.slice(APP_CLASS_PREFIX.length) as AppName) : undefined;
  return (app && APP_DISPLAY_NAMES[app]) ?? 'Microsoft 365 Copilot';
}
