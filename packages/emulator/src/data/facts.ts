import type { EmuConnection, EmuDocument, EmuExternalItem, EmuInsight, EmuLabel, EmuMeeting, EmuSite, EmuUser, Tenant } from '../model.js';
import { canReadDocument, readersInclude } from './access.js';
import { IT_CONNECTION_ID } from './connector.js';
import { anchorDocumentIds, personalMarkerDocuments } from './generate.js';
import { usageReportFacts } from '../graphApi/usageReportsEndpoint.js';

/**
 * What tests and demos may rely on in a generated tenant, found in the data rather than
 * hard-coded, so they hold for every seed and every `now`.
 */
export interface TenantFacts {
  demoUser: EmuUser;
  /** Licensed, not the demo user, not a reader of the demo user's private draft. */
  licensedUser: EmuUser;
  unlicensedUser: EmuUser;
  /** A OneDrive file only its owner can read, a query that finds it, and a licensed outsider. */
  privateDoc: { document: EmuDocument; owner: EmuUser; query: string; outsider: EmuUser };
  /** A OneDrive file of the demo user shared with named colleagues. */
  sharedDoc: { document: EmuDocument; owner: EmuUser; sharedWith: EmuUser[]; query: string; outsider: EmuUser };
  /** The top SharePoint hit for the VPN question (labelled Internal). */
  vpnGuide: { document: EmuDocument; query: string; label: EmuLabel };
  /** A SharePoint file readable by everyone, labelled, found by its query. */
  labelledDoc: { document: EmuDocument; query: string; label: EmuLabel };
  /** A file on a restricted site: a member who can read it and a licensed user who cannot. */
  restrictedDoc: { document: EmuDocument; site: EmuSite; query: string; member: EmuUser; outsider: EmuUser };
  /** Unfiltered, the query hits pdf and non-pdf files; with the filter, only pdf files. */
  kqlExample: { query: string; filterExpression: string; fileExtension: string };
  connector: { connection: EmuConnection; query: string; filterExpression: string; labelTitle: string; item: EmuExternalItem };
  meetings: {
    /** Ended, transcribed, insight available; the demo user attended. */
    withInsights: { meeting: EmuMeeting; insight: EmuInsight; attendee: EmuUser };
    twoTranscripts: EmuMeeting;
    /** Ended less than 2 hours before `tenant.now`; its insight's availableAt is later. */
    notReady: EmuMeeting;
    /** Ended, transcription off: never any insight. */
    noTranscript: EmuMeeting;
    /** A past meeting the demo user did not attend. */
    notAttended: EmuMeeting;
    /** The most recent ended meeting the demo user attended whose insight is ready (earlier today). */
    latestReady: EmuMeeting;
  };
  interactions: { user: EmuUser; total: number; byAppClass: Record<string, number> };
  /** Remote (HTTP) mode: the MCP server app's export role, who holds it, and a user of another tenant. */
  remote: {
    serverClientId: string;
    exportRole: string;
    /** A licensed user assigned the export role (`roles` claim of their tokens for the server). */
    exportRoleMember: EmuUser;
    /** Every user assigned the export role. */
    exportRoleMembers: EmuUser[];
    /** The demo user, who does not hold it. */
    withoutExportRole: EmuUser;
    otherTenant: { id: string; domain: string; user: EmuUser };
  };
  /**
   * Only with more than the named ten users (`--users N`): for every user, a OneDrive file that
   * only they can read and a query that finds it, so many users' results can be told apart.
   */
  personalDocs?: { user: EmuUser; document: EmuDocument; query: string }[];
  /** Copilot usage reports as the emulator computes them from the interactions (graphApi/usageReportsEndpoint.ts). */
  usageReports: ReturnType<typeof usageReportFacts>;
}

export function tenantFacts(tenant: Tenant): TenantFacts {
  const anchors = anchorDocumentIds(tenant);
  if (!anchors) throw new Error('tenantFacts: this tenant was not made by generateTenant');
  const now = Date.parse(tenant.now);
  const user = (id: string): EmuUser => must(tenant.users.find((u) => u.id === id), `user ${id}`);
  const doc = (id: string): EmuDocument => must(tenant.documents.find((d) => d.id === id), `document ${id}`);
  const label = (d: EmuDocument): EmuLabel => must(tenant.labels.find((l) => l.id === d.labelId), `label of ${d.title}`);

  const demoUser = must(tenant.users.find((u) => u.upn === tenant.demoUserUpn), 'demo user');
  const privateDraft = doc(anchors.privateDraft);
  const licensedUser = must(
    tenant.users.find((u) => u.copilotLicense && u.id !== demoUser.id && !readersInclude(privateDraft.readers, u.id)),
    'licensed outsider',
  );
  const unlicensedUser = must(tenant.users.find((u) => !u.copilotLicense), 'unlicensed user');

  const shared = doc(anchors.sharedBudget);
  const sharedReaders = shared.readers === 'everyone' ? [] : shared.readers;
  const sharedOutsider = must(tenant.users.find((u) => u.copilotLicense && !sharedReaders.includes(u.id)), 'shared-doc outsider');

  const forecast = doc(anchors.boardForecast);
  const financeSite = must(tenant.sites.find((s) => s.id === forecast.siteId), 'finance site');
  const member = must(tenant.users.find((u) => u.copilotLicense && readersInclude(financeSite.readers, u.id)), 'finance member');
  const outsider = must(tenant.users.find((u) => u.copilotLicense && !readersInclude(financeSite.readers, u.id)), 'finance outsider');

  const connection = must(tenant.connections.find((c) => c.id === IT_CONNECTION_ID), 'IT connection');
  const vpnArticle = must(
    tenant.externalItems.find((i) => i.connectionId === connection.id && i.properties['title'] === 'VPN Access'),
    'VPN Access article',
  );

  const ended = tenant.meetings.filter((m) => Date.parse(m.endDateTime) <= now);
  const attended = ended.filter((m) => m.attendeeIds.includes(demoUser.id));
  const ready = (i: EmuInsight) => Date.parse(i.availableAt) <= now;
  const available = attended.filter((m) => m.insights.length === 1 && m.insights.every(ready));
  const withInsights = must(available.find((m) => (m.insights[0]?.mentionsByUser[demoUser.id]?.length ?? 0) > 0) ?? available[0], 'meeting with insights');

  const server = must(tenant.apps.mcpServer, 'MCP server app');
  const exportRole = must(server.userRoleDefinitions[0], 'export role');
  const exportRoleMembers = tenant.users.filter((u) => server.userRoles[u.id]?.includes(exportRole));
  const otherTenant = must(tenant.otherTenant, 'other tenant');
  const markers = personalMarkerDocuments(tenant);

  const demoInteractions = tenant.interactions.get(demoUser.id) ?? [];
  const byAppClass: Record<string, number> = {};
  for (const i of demoInteractions) byAppClass[i.appClass] = (byAppClass[i.appClass] ?? 0) + 1;

  return {
    demoUser,
    licensedUser,
    unlicensedUser,
    privateDoc: { document: privateDraft, owner: user(must(privateDraft.ownerId, 'owner')), query: 'Project Nightingale launch plan', outsider: licensedUser },
    sharedDoc: {
      document: shared,
      owner: user(must(shared.ownerId, 'owner')),
      sharedWith: sharedReaders.filter((id) => id !== shared.ownerId).map(user),
      query: 'Aurora trade show budget',
      outsider: sharedOutsider,
    },
    vpnGuide: { document: doc(anchors.vpnGuide), query: 'How to setup corporate VPN?', label: label(doc(anchors.vpnGuide)) },
    labelledDoc: { document: doc(anchors.benefits), query: 'Lakeshore Health dental cover', label: label(doc(anchors.benefits)) },
    restrictedDoc: { document: forecast, site: financeSite, query: 'board budget forecast strategic reserve', member, outsider },
    kqlExample: { query: 'expense report receipts reimbursement', filterExpression: 'FileExtension:"pdf"', fileExtension: 'pdf' },
    connector: { connection, query: 'How to setup corporate VPN?', filterExpression: 'Label_Title:"Corporate VPN"', labelTitle: 'Corporate VPN', item: vpnArticle },
    meetings: {
      withInsights: { meeting: withInsights, insight: must(withInsights.insights[0], 'insight'), attendee: demoUser },
      twoTranscripts: must(attended.find((m) => m.insights.length === 2), 'meeting with two transcripts'),
      notReady: must(attended.find((m) => now - Date.parse(m.endDateTime) < 2 * 3600_000 && m.insights.length > 0 && !m.insights.some(ready)), 'meeting not ready'),
      noTranscript: must(attended.find((m) => !m.transcription), 'meeting without transcript'),
      notAttended: must(ended.find((m) => !m.attendeeIds.includes(demoUser.id)), 'meeting without the demo user'),
      latestReady: must(
        attended.filter((m) => m.insights.length > 0 && m.insights.every(ready)).sort((a, b) => b.endDateTime.localeCompare(a.endDateTime))[0],
        'latest meeting with ready insights',
      ),
    },
    interactions: { user: demoUser, total: demoInteractions.length, byAppClass },
    usageReports: usageReportFacts(tenant),
    remote: {
      serverClientId: server.clientId,
      exportRole,
      exportRoleMember: must(exportRoleMembers.find((u) => u.copilotLicense), 'licensed export role member'),
      exportRoleMembers,
      withoutExportRole: demoUser,
      otherTenant: { id: otherTenant.id, domain: otherTenant.domain, user: must(otherTenant.users[0], 'other tenant user') },
    },
    ...(markers === undefined
      ? {}
      : { personalDocs: markers.map((m) => ({ user: user(m.userId), document: doc(m.documentId), query: m.query })) }),
  };
}

/** What one user may read: the ids and URLs retrieval may ever show them (`GET /_emulator/facts/readable`). */
export function readableBy(tenant: Tenant, userId: string): { documents: { id: string; webUrl: string; source: string }[]; externalItems: string[] } {
  const sitesById = new Map(tenant.sites.map((s) => [s.id, s]));
  return {
    documents: tenant.documents.filter((d) => canReadDocument(sitesById, userId, d)).map((d) => ({ id: d.id, webUrl: d.webUrl, source: d.source })),
    externalItems: tenant.externalItems.filter((i) => readersInclude(i.readers, userId)).map((i) => i.id),
  };
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`tenantFacts: no ${what} in this tenant`);
  return value;
}
