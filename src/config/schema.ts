import * as z from 'zod';
import { AUDIT_QUERY_TEXT_MODES, CLOUDS, LOG_LEVELS } from './keys.js';

/**
 * The one configuration schema. Sources, later ones winning:
 * defaults ← config file (--config) ← environment (M365_COPILOT_MCP_*) ← command-line flags.
 */
// The lists and the key table are zod-free (config/keys.ts): the fast start reads them before zod loads.
export { AUDIT_QUERY_TEXT_MODES, CLOUDS, CONFIG_KEYS, LOG_LEVELS, type ConfigKeyDoc } from './keys.js';

/** Lists arrive as "a, b" from the environment and flags, and as a string or an array from the file. */
function commaList(value: unknown): unknown {
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
}

export const ConfigSchema = z
  .object({
    /** National cloud: selects the identity authority and the Graph host together. */
    cloud: z.enum(CLOUDS).default('global'),
    /** Directory (tenant) id or domain. `organizations` signs in any work account. */
    tenantId: z.string().min(1).default('organizations'),
    /** Application (client) id of the public-client app registration used for delegated sign-in. */
    clientId: z.string().min(1).optional(),
    /** Confidential app (client credentials) used by interaction export, which is app-only. */
    exportClientId: z.string().min(1).optional(),
    exportClientSecret: z.string().min(1).optional(),
    /** Tenant for the export app; defaults to tenantId (must be a real tenant, not `organizations`). */
    exportTenantId: z.string().min(1).optional(),
    /** PEM file holding the export app's certificate private key and certificate (instead of a secret). */
    exportCertificatePath: z.string().min(1).optional(),
    /** UPN of the cached account to use when several are signed in; also the login hint. */
    account: z.string().min(3).optional(),
    /** A delegated Graph access token obtained elsewhere; used as is until it expires (no sign-in). */
    accessToken: z.string().min(20).optional(),
    /** Where tokens are kept: auto (OS keychain, else encrypted file), keychain, file, memory. */
    tokenCache: z.enum(['auto', 'keychain', 'file', 'memory']).default('auto'),
    /** Directory for the encrypted token cache, its key file and lock (created 0700). */
    stateDir: z.string().min(1),
    /** Overrides for sovereign or test deployments; normally derived from `cloud`. */
    authorityHost: z
      .string()
      .url()
      // MSAL refuses any authority that is not https (and would then fail with an opaque AuthFailed).
      .refine((u) => u.toLowerCase().startsWith('https://'), { message: 'must be an https URL, e.g. https://login.microsoftonline.com' })
      .optional(),
    graphBaseUrl: z.string().url().optional(),
    /** PEM file of an extra CA to trust for identity and Graph (corporate TLS inspection, the emulator). */
    caCertPath: z.string().min(1).optional(),
    /** Emulator descriptor file (the JSON line `m365-copilot-mcp emulator` prints). */
    emulatorFile: z.string().min(1).optional(),
    /** Run against the built-in emulated tenant, started in this process. */
    demo: z.boolean().default(false),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /**
     * How long a tool call waits for a device-code sign-in to finish before answering with the
     * sign-in URL and code (sign-in then continues in the background).
     */
    signInWaitSeconds: z.number().int().min(0).max(300).default(5),
    /** Deadline for one Graph HTTP exchange, body included. */
    graphTimeoutSeconds: z.number().int().min(1).max(600).default(60),
    /** Attempts per Graph request when Graph throttles (429) or is unavailable (503/504, resets); 1 = no retry. */
    graphMaxAttempts: z.number().int().min(1).max(10).default(4),
    // ---- Governance (src/policy) ----
    /** JSONL audit log, one record per tool call; default `<stateDir>/audit.jsonl`; `off` disables it. */
    auditFile: z.string().min(1).optional(),
    /** The audit file is rotated (renamed .1, .2, …) before it would grow past this size. */
    auditMaxBytes: z.number().int().min(1024).max(1024 ** 4).default(10 * 1024 * 1024),
    /** Rotated audit files kept besides the current one. */
    auditMaxFiles: z.number().int().min(1).max(1000).default(5),
    /** How query text appears in the audit log: keyed hash (default), in full, or not at all. */
    auditQueryText: z.enum(AUDIT_QUERY_TEXT_MODES).default('hash'),
    /**
     * fdatasync each audit record before the answer. Off, a record is still written (one write call)
     * before the answer, so it survives the process crashing; on, it also survives a power cut, at
     * about 2–3 ms per call on this project's test machine.
     */
    auditSync: z.boolean().default(false),
    /** HTTP mode: also write each audit record as one JSON line on stdout (container log collectors). */
    auditStdout: z.boolean().default(false),
    /** Names this process in audit records (several instances, one log); default host name and process id. */
    instanceId: z.string().trim().min(1).max(128).optional(),
    /** Withhold retrieved content whose sensitivity label priority is greater than this. */
    withholdLabelPriorityAbove: z.number().int().min(-1).max(1000).optional(),
    /** Withhold retrieved content with these sensitivity labels (ids or names; comma-separated in env/flags). */
    withholdLabels: z.preprocess(commaList, z.array(z.string().trim().min(1).max(256)).max(100)).default([]),
    /** This server's count of Copilot Retrieval calls per user per hour (Graph allows 200). */
    retrievalBudgetPerHour: z.number().int().min(1).max(1_000_000).default(200),
    /**
     * The one directory file exports may write into (copilot_export_interactions_to_file). Unset, no
     * tool writes files: a prompt-injected model must not name ~/.bashrc as an output file.
     */
    exportDir: z.string().min(1).optional(),
    /** Only the tools of these toolsets (with `tools`: either); default every toolset. */
    toolsets: z.preprocess(commaList, z.array(z.string().trim().min(1).max(64)).max(50)).optional(),
    /** Only these tools (with `toolsets`: either); default every tool. */
    tools: z.preprocess(commaList, z.array(z.string().trim().min(1).max(64)).max(50)).optional(),
    /** Also offer the beta Copilot Chat and Search tools (their Graph APIs are preview and may change). */
    enableBeta: z.boolean().default(false),
    /** Read before the schema by the fast start (transports/fastStart/); here so the key is known and typed. */
    noFastStart: z.boolean().default(false),
    // ---- HTTP (remote, many users) mode ----
    /** Serve Streamable HTTP instead of stdio. */
    http: z.boolean().default(false),
    /** Interface to listen on; loopback by default (put a TLS-terminating proxy in front for remote users). */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    /** The URL clients reach the server at (behind a proxy); its host is the one allowed in Host/Origin. */
    publicUrl: z.string().url().optional(),
    /** Confidential app registration of this server: its id is the token audience and it does on-behalf-of. */
    serverClientId: z.string().min(1).optional(),
    serverClientSecret: z.string().min(1).optional(),
    /** Accepted `aud` values; default the server's client id and `api://<client id>`. Comma-separated. */
    serverAudience: z.string().min(1).optional(),
    /** Delegated scope an incoming token must carry. */
    requiredScope: z.string().min(1).default('access_as_user'),
    /** Tenants whose users may call (comma-separated ids); default the configured tenant; `*` any tenant. */
    allowedTenants: z.string().min(1).optional(),
    /** App role that lets a caller export other users' interactions (HTTP mode). */
    exportRole: z.string().min(1).default('Interactions.Export.All'),
    /** Redis URL for the shared token cache of several HTTP instances. */
    redisUrl: z.string().url().optional(),
    /** Base64 of 32 bytes: encrypts tokens at rest in Redis (AES-256-GCM). */
    redisKey: z.string().min(1).optional(),
    redisTtlSeconds: z.number().int().min(60).max(30 * 86400).default(86400),
    /** Largest accepted MCP request body (413 above). */
    maxRequestBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /** Seconds a client has to send its request headers before the socket is closed. */
    httpHeadersTimeoutSeconds: z.number().int().min(1).max(600).default(10),
    /** Most open HTTP connections at once; more are refused until some close. */
    maxConnections: z.number().int().min(1).max(1_000_000).default(1000),
    /** On SIGTERM, how long in-flight calls may finish before the process exits. */
    shutdownGraceSeconds: z.number().int().min(0).max(600).default(10),
    /**
     * On SIGTERM, how long the listener stays open (answering 503 "retry elsewhere" and /readyz 503)
     * before it closes: long enough for a balancer's health checks to take the instance out, so no
     * request meets a closed socket. Part of the grace, not added to it.
     */
    shutdownDrainSeconds: z.number().min(0).max(600).default(0),
    // ---- Observability ----
    /** OTLP/HTTP endpoint for traces and metrics (the standard OTEL_EXPORTER_OTLP_ENDPOINT); unset, no SDK is loaded. */
    otelEndpoint: z.string().url().optional(),
    /** How often metrics are exported, in ms (the standard OTEL_METRIC_EXPORT_INTERVAL). */
    otelMetricIntervalMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

