/**
 * The emulated tenant's data model: a deterministic, generated, fictional company.
 * Shared contract between the data generator (data/), the Graph routes (graph/) and the
 * identity provider (identity/). Graph-facing shapes are produced from these records by the routes.
 */

export interface EmuUser {
  id: string; // object id (GUID)
  upn: string; // e.g. adele.vance@contoso-emu.example
  displayName: string;
  mail: string;
  jobTitle: string;
  department: string;
  /** Microsoft 365 Copilot licence: without it, Copilot APIs answer 403. */
  copilotLicense: boolean;
}

export interface EmuLabel {
  id: string; // GUID
  displayName: string; // e.g. "Confidential\\All Employees"
  tooltip: string;
  priority: number; // higher = more sensitive
  color: string; // "#FF8C00"
}

/** Who can read an item: everyone in the tenant, or the listed user ids. */
export type EmuReaders = 'everyone' | string[];

export interface EmuSite {
  id: string; // GUID (SiteID in KQL)
  name: string; // "HR"
  webUrl: string; // https://contoso-emu.sharepoint.com/sites/HR
  readers: EmuReaders;
  /** Set on a OneDrive personal site: its owner. Team sites leave it out. */
  ownerId?: string;
}

export interface EmuDocument {
  id: string;
  source: 'sharePoint' | 'oneDriveBusiness';
  siteId: string; // the site, or the personal site of the OneDrive owner
  ownerId?: string; // OneDrive owner (oneDriveBusiness only)
  webUrl: string; // full file URL
  path: string; // folder URL (Path filter), ends with '/'
  title: string;
  filename: string; // "Contoso VPN Guide.docx"
  fileExtension: string; // "docx"
  fileType: string; // "docx"
  author: string; // display name
  modifiedBy: string; // display name
  createdTime: string; // ISO
  lastModifiedTime: string; // ISO
  labelId?: string;
  readers: EmuReaders;
  /** Text split into passages; extracts are the best-scoring chunks. */
  chunks: string[];
}

export interface EmuConnection {
  id: string; // connectionId, e.g. "ContosoITServiceNowKB"
  name: string;
  /** Properties marked queryable in the connection schema (usable in KQL). */
  queryableProperties: string[];
}

export interface EmuExternalItem {
  id: string;
  connectionId: string;
  webUrl: string;
  properties: Record<string, string>; // includes "title", "author", and the queryable ones
  readers: EmuReaders;
  chunks: string[];
}

export interface EmuNote { title: string; text: string; subpoints: { title: string; text: string }[] }
export interface EmuActionItem { title: string; text: string; ownerDisplayName: string }
export interface EmuMention { speakerId: string; eventDateTime: string; transcriptUtterance: string }

export interface EmuInsight {
  id: string; // opaque base64
  callId: string; // GUID
  contentCorrelationId: string;
  createdDateTime: string;
  endDateTime: string;
  /** Not visible (list returns nothing for it) before this instant: insights take up to 4 h. */
  availableAt: string;
  meetingNotes: EmuNote[];
  actionItems: EmuActionItem[];
  /** Mention events per mentioned user id (the caller's viewpoint). */
  mentionsByUser: Record<string, EmuMention[]>;
}

export interface EmuMeeting {
  id: string; // onlineMeeting id: base64("1*{organizerId}*0**{threadId}")
  eventId: string; // calendar event id
  threadId: string; // 19:meeting_…@thread.v2
  joinWebUrl: string;
  subject: string;
  organizerId: string;
  attendeeIds: string[]; // includes organizer
  startDateTime: string;
  endDateTime: string;
  transcription: boolean; // false → never any insight ("no transcript")
  insights: EmuInsight[]; // one per transcript
}

/** Compact interaction record; the export route renders the Graph `aiInteraction` shape from it. */
export interface EmuInteraction {
  id: string; // epoch-ms string, unique per user
  userId: string;
  sessionId: string;
  requestId: string | null;
  appClass: string; // IPM.SkypeTeams.Message.Copilot.*
  interactionType: 'userPrompt' | 'aiResponse';
  conversationType: string; // bizchat | appchat
  createdDateTime: string;
  locale: string;
  bodyContentType: 'text' | 'html';
  body: string;
  attachments: { attachmentId: string; contentType: string; contentUrl: string | null; content: string | null; name: string | null }[];
  links: { linkUrl: string; displayName: string; linkType: string }[];
  mentions: { mentionId: number; mentionText: string; mentionedUserId: string }[];
  contexts: { contextReference: string; contextType: string; displayName: string }[];
}

export interface EmuApp {
  clientId: string;
  displayName: string;
  /** public: device code / auth code; confidential: client credentials (+ OBO later). */
  kind: 'public' | 'confidential';
  clientSecret?: string;
  /** Application permissions (roles) granted with admin consent, for client credentials. */
  appRoles: string[];
  /** Delegated permissions the app may request (consented tenant-wide in the demo). */
  delegatedScopes: string[];
  /** false: each user consents at sign-in to what was asked, and a refresh cannot widen it. Default: admin-consented. */
  adminConsented?: boolean;
  /** Redirect URIs matched exactly (a client metadata document's); without them, loopback URIs on any port. */
  redirectUris?: string[];
  /**
   * false: a fresh tenant's place for an app `setup` creates, not registered yet: no sign-in, no
   * token, no Graph lookup finds it until `POST /applications` registers it. Default: registered.
   */
  registered?: boolean;
  /** false: the app has no service principal yet (`POST /servicePrincipals` makes one). Default: it has one. */
  servicePrincipal?: boolean;
  /** Client secrets added with `POST /applications/{id}/addPassword`, each valid besides `clientSecret`. */
  passwords?: EmuPassword[];
  /** Graph `application.publicClient.redirectUris` as registered; `http://localhost` matches any loopback port, as in Entra. */
  publicClientRedirectUris?: string[];
  /** Graph `application.requiredResourceAccess` as registered (documentation of intent: consent decides tokens). */
  requiredResourceAccess?: unknown[];
}

/** A client secret of an app (Graph `passwordCredential`); the text is only ever returned by addPassword. */
export interface EmuPassword {
  keyId: string;
  displayName: string | null;
  hint: string;
  secretText: string;
  startDateTime: string;
  endDateTime: string;
}

/**
 * A web API registration: the remote (HTTP) MCP server. Users' tokens are issued for it (its
 * client id is their audience) and it exchanges them on behalf of the user for Graph tokens, with
 * the Graph permissions in `delegatedScopes` (admin-consented).
 */
export interface EmuApiApp extends EmuApp {
  kind: 'confidential';
  /** The default Application ID URI, `api://<clientId>`, as first registered (the descriptor names it). */
  appIdUri: string;
  /**
   * Graph `application.identifierUris`: every string a client may name this API by, as the resource
   * prefix of a scope and as the RFC 8707 `resource` parameter (exact match, no trailing slash added).
   */
  identifierUris: string[];
  /**
   * Graph `apiApplication.requestedAccessTokenVersion`: 2 gives v2.0 access tokens (`aud` = client id,
   * `azp`), 1 (Entra's default, null) v1.0 tokens (`aud` = the identifier URI asked for, `appid`).
   */
  requestedAccessTokenVersion: 1 | 2;
  /** `api.oauth2PermissionScopes[].id` by scope value (lower case), once an update named them; else derived from the value. */
  scopeIds?: Record<string, string>;
  /** Delegated scopes the API exposes to client apps (`access_as_user`). */
  exposedScopes: string[];
  /** App roles the API defines for users (`Interactions.Export.All`). */
  userRoleDefinitions: string[];
  /** `appRoles[].id` by role value (lower case), once an update named them; else derived from the value. */
  roleIds?: Record<string, string>;
  /** User object id → the app roles assigned to that user (the `roles` claim of their tokens). */
  userRoles: Record<string, string[]>;
  /** Clients that may ask for the exposed scopes without a consent prompt (Entra's authorized client applications). */
  preAuthorizedClientIds: string[];
}

/**
 * Another organisation: signs its users' tokens with the same keys (Entra's common keys), but none
 * of this tenant's apps is registered there. Only users; no Graph data.
 */
export interface EmuOtherTenant {
  id: string;
  domain: string;
  users: EmuUser[];
}

export interface Tenant {
  id: string; // tenant GUID
  domain: string; // contoso-emu.example
  spHost: string; // contoso-emu.sharepoint.com
  now: string; // the instant the data was generated against (ISO)
  users: EmuUser[];
  labels: EmuLabel[];
  sites: EmuSite[];
  documents: EmuDocument[];
  connections: EmuConnection[];
  externalItems: EmuExternalItem[];
  meetings: EmuMeeting[];
  /** Per user id, sorted by createdDateTime ascending. */
  interactions: Map<string, EmuInteraction[]>;
  apps: { publicClient: EmuApp; exportApp: EmuApp; mcpServer?: EmuApiApp };
  /** A second tenant whose users can hold validly signed tokens that this tenant's apps must refuse. */
  otherTenant?: EmuOtherTenant;
  /** UPN of the user the demo signs in as (licensed, has meetings, documents, interactions). */
  demoUserUpn: string;
}

export interface GenerateOptions {
  seed?: number; // default 1
  scale?: number; // multiplies interaction count; default 1 (≥ 5,000 interactions), 20 → 100k+
  now?: Date; // default: the current time, rounded down to the minute
  /** Number of users, at least 10 (the default, the named company). More add generated people, each with their own files. */
  users?: number;
}

/** Who is calling a Graph route, after the token was verified. */
export type GraphCaller =
  | { kind: 'delegated'; tenantId: string; userId: string; upn: string; appId: string; scopes: string[] }
  | { kind: 'app'; tenantId: string; appId: string; roles: string[] };

export interface GraphRequest {
  method: string;
  /** Path after the version segment, e.g. "/copilot/retrieval", already percent-decoded per segment. */
  path: string;
  version: 'v1.0' | 'beta';
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown; // parsed JSON or undefined
  caller: GraphCaller;
  /** request-id the transport assigned (echoed in error envelopes' innerError). */
  requestId: string;
  /** Base URL used for @odata.nextLink, e.g. http://127.0.0.1:1234 */
  baseUrl: string;
}

export interface GraphResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Route template for the stats counters, e.g. "POST /copilot/retrieval". */
  route: string;
}
