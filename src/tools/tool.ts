import type * as z from 'zod';
import type { SignedInAccount } from '../auth/broker.js';
import type { Cloud } from '../graph/clouds.js';
import type { GraphClient } from '../graph/client.js';
import type { Logger } from '../log.js';
import type { AuditedArguments } from '../policy/auditArgs.js';
import type { ExportGrant, ExportTarget } from '../policy/exportAuthorization.js';
import type { LabelPolicy } from '../policy/labelPolicy.js';
import type { ScanGate } from '../policy/scanGate.js';
import type { RetrievalBudget } from '../policy/retrievalBudget.js';

/** What a tool handler may use. Tools never see tokens, MSAL, transports or the environment. */
export interface ToolContext {
  /** Graph with the signed-in user's delegated token. */
  graph: GraphClient;
  /** Graph with the app-only token (client credentials); only export uses it. */
  appGraph: GraphClient;
  /** Signs in if needed; returns who is signed in and what the delegated token carries. */
  whoAmI(scopes: string[]): Promise<{ account: SignedInAccount | undefined; scopes: string[]; expiresOn: Date | undefined }>;
  /**
   * Whether the signed-in user can have a token for these delegated scopes without any sign-in or
   * consent prompt (cache or refresh); when true, a Graph call with them asks for nothing either.
   */
  silentlyGranted(scopes: string[]): Promise<boolean>;
  environment: RuntimeInfo;
  /**
   * Who is calling, without starting a sign-in: in HTTP mode the user of the validated bearer token;
   * over stdio the signed-in account (undefined before the first sign-in).
   */
  caller(): Promise<CallerIdentity | undefined>;
  /**
   * Throws Forbidden unless the caller may export this user's interactions (HTTP mode: their own,
   * or anyone's with the export app role, and only callers of the export app's tenant). Call it
   * before any Graph request for that user, a UPN's resolution included; confirm the resolved id.
   */
  authorizeExport(target: ExportTarget): Promise<ExportGrant>;
  signal: AbortSignal;
  /** Progress notification to the client (a no-op when the client did not ask for progress). */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  log: Logger;
  /** Governance the runtime decided (from config); tools apply it, they never read config themselves. */
  policy: ToolPolicy;
  /** Local files the user allowed (stdio with --export-dir); absent otherwise. */
  files?: LocalFiles;
  /**
   * Cursors handed to the model, sealed (HMAC) and bound to this caller and a purpose: one that comes
   * back changed, or from another user, is refused (InvalidArgument) before it is used.
   */
  cursors: { seal(purpose: string, payload: unknown): Promise<string>; open(purpose: string, cursor: string): Promise<unknown> };
}

export interface LocalFiles {
  /** The export directory, resolved with realpath at start; file exports stay inside it. */
  exportDir: string;
}

/** What a tool needs from the host beyond Graph; a host that lacks it does not offer the tool. */
export type HostNeed = 'localFiles';

export interface ToolPolicy {
  /** Which sensitivity-labelled content may reach the model. */
  labels: LabelPolicy;
  /** The per-user Copilot Retrieval budget, shared by every call of this process. */
  retrievalBudget: RetrievalBudget;
  /** One interaction-history scan per caller at a time. */
  scans: ScanGate;
}

export interface CallerIdentity {
  /** Entra object id (oid). */
  userId: string;
  upn?: string;
  tenantId: string;
  /** App roles the caller's token carries (HTTP mode); empty over stdio. */
  roles: string[];
}

export interface RuntimeInfo {
  /** stdio: one local user; http: many remote users, each with their own bearer token. */
  transport: 'stdio' | 'http';
  cloud: string;
  graphBaseUrl: string;
  authority: string;
  tenantSource: 'emulator' | 'cloud';
  exportConfigured: boolean;
  /** --enable-beta: preview Graph APIs may be used (beta tools, and beta-only arguments of GA tools). */
  betaEnabled: boolean;
  serverVersion: string;
  /** Tools left out because their Graph API does not exist in this cloud, and why (src/tools/availability.ts). */
  unavailableTools?: { name: string; reason: string }[];
}

export interface ToolPermissions {
  /** Delegated Graph permissions the tool needs (requested at sign-in). */
  delegated: string[];
  /**
   * Delegated permissions the tool uses only when the user already holds them, for an extra it can
   * do without: never requested at sign-in, not required by doctor, named in the README.
   */
  optionalDelegated?: string[];
  /** Application permissions (admin-consented) the tool needs. */
  application: string[];
}

export interface ToolAnswer<O> {
  structured: O;
  /** A short readable rendering for clients that show text only. */
  text: string;
}

/** Groups of tools a user can switch on together (`--toolsets`). */
export const TOOLSETS = ['retrieval', 'compliance', 'meetings', 'reports', 'status', 'chat', 'search'] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** ga: generally available Graph API; beta: a preview API, offered only with --enable-beta. */
export type Stability = 'ga' | 'beta';

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** One clause for the server instructions: when a model should reach for this tool. */
  instructions: string;
  /** Reads only (Graph reads, no local side effects): becomes readOnlyHint; false for tools that write. */
  readOnly: boolean;
  /** With readOnly false: whether it may replace or delete something (destructiveHint). */
  destructive?: boolean;
  toolset: Toolset;
  stability: Stability;
  /** The Graph API the tool stands on, as people name it, and the national clouds where Microsoft offers it. */
  api: { name: string; clouds: readonly Cloud[] };
  permissions: ToolPermissions;
  /** What the audit log records of each argument (anything not listed: its name only). */
  audited: AuditedArguments;
  /** A valid value per argument, shown when an argument is refused (not advertised: tools/list stays lean). */
  examples: Readonly<Record<string, unknown>>;
  needs?: readonly HostNeed[];
  input: I;
  output: O;
  handle(args: z.output<I>, ctx: ToolContext): Promise<ToolAnswer<z.output<O>>>;
}

/** Identity function: keeps the schema and the handler's types tied together. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}
