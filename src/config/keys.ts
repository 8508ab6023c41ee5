import { CLOUDS } from '../graph/clouds.js';
import type { Config } from './schema.js';

/**
 * The settings' names on the command line and in the environment, and the closed lists of values:
 * plain data, no zod, so the fast start (src/transports/fastStart/) can read flags and variables
 * before the schema (config/schema.ts) and zod load. schema.ts validates; this table only names.
 */
export { CLOUDS };
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const AUDIT_QUERY_TEXT_MODES = ['hash', 'full', 'omit'] as const;

/** Where each key may come from on the command line and in the environment (also drives --help). */
export interface ConfigKeyDoc {
  key: keyof Config;
  flag: string;
  env: string;
  help: string;
  kind: 'string' | 'boolean' | 'number';
}

export const CONFIG_KEYS: ConfigKeyDoc[] = [
  { key: 'cloud', flag: '--cloud', env: 'M365_COPILOT_MCP_CLOUD', kind: 'string', help: `National cloud: ${CLOUDS.join(' | ')} (default global)` },
  { key: 'tenantId', flag: '--tenant', env: 'M365_COPILOT_MCP_TENANT_ID', kind: 'string', help: 'Tenant id or domain (default organizations)' },
  { key: 'clientId', flag: '--client-id', env: 'M365_COPILOT_MCP_CLIENT_ID', kind: 'string', help: 'Public client app id for delegated sign-in (required for a real tenant)' },
  { key: 'exportClientId', flag: '--export-client-id', env: 'M365_COPILOT_MCP_EXPORT_CLIENT_ID', kind: 'string', help: 'Confidential app id for interaction export (app-only)' },
  { key: 'exportClientSecret', flag: '--export-client-secret', env: 'M365_COPILOT_MCP_EXPORT_CLIENT_SECRET', kind: 'string', help: 'Client secret of the export app (prefer the environment variable)' },
  { key: 'exportTenantId', flag: '--export-tenant', env: 'M365_COPILOT_MCP_EXPORT_TENANT_ID', kind: 'string', help: 'Tenant of the export app (default: --tenant)' },
  { key: 'exportCertificatePath', flag: '--export-certificate', env: 'M365_COPILOT_MCP_EXPORT_CERTIFICATE', kind: 'string', help: 'PEM file with the export app certificate and private key (instead of a secret)' },
  { key: 'account', flag: '--account', env: 'M365_COPILOT_MCP_ACCOUNT', kind: 'string', help: 'UPN of the signed-in account to use when several are cached' },
  { key: 'accessToken', flag: '--access-token', env: 'M365_COPILOT_MCP_ACCESS_TOKEN', kind: 'string', help: 'Use this delegated Graph access token instead of signing in (prefer the variable)' },
  { key: 'tokenCache', flag: '--token-cache', env: 'M365_COPILOT_MCP_TOKEN_CACHE', kind: 'string', help: 'Token cache: auto | keychain | file | memory (default auto: OS keychain, else encrypted file)' },
  { key: 'stateDir', flag: '--state-dir', env: 'M365_COPILOT_MCP_STATE_DIR', kind: 'string', help: 'Directory for the encrypted token cache (default: the user state directory)' },
  { key: 'authorityHost', flag: '--authority-host', env: 'M365_COPILOT_MCP_AUTHORITY_HOST', kind: 'string', help: 'Override the identity authority host (https URL)' },
  { key: 'graphBaseUrl', flag: '--graph-base-url', env: 'M365_COPILOT_MCP_GRAPH_BASE_URL', kind: 'string', help: 'Override the Graph origin (e.g. https://graph.microsoft.com)' },
  { key: 'caCertPath', flag: '--ca-cert', env: 'M365_COPILOT_MCP_CA_CERT', kind: 'string', help: 'Extra CA (PEM) to trust for identity and Graph' },
  { key: 'emulatorFile', flag: '--emulator', env: 'M365_COPILOT_MCP_EMULATOR', kind: 'string', help: 'Use a running emulator described by FILE (its JSON line)' },
  { key: 'demo', flag: '--demo', env: 'M365_COPILOT_MCP_DEMO', kind: 'boolean', help: 'Start the built-in emulated tenant in-process and sign in as its demo user' },
  { key: 'logLevel', flag: '--log-level', env: 'M365_COPILOT_MCP_LOG_LEVEL', kind: 'string', help: `Log level on stderr: ${LOG_LEVELS.join(' | ')} (default info)` },
  { key: 'signInWaitSeconds', flag: '--sign-in-wait', env: 'M365_COPILOT_MCP_SIGN_IN_WAIT', kind: 'number', help: 'Seconds a tool call waits for sign-in before returning the sign-in code (default 5)' },
  { key: 'graphMaxAttempts', flag: '--graph-max-attempts', env: 'M365_COPILOT_MCP_GRAPH_MAX_ATTEMPTS', kind: 'number', help: 'Attempts per Graph request on 429/503/504/resets, honouring Retry-After (default 4; 1 = no retry)' },
  { key: 'graphTimeoutSeconds', flag: '--graph-timeout', env: 'M365_COPILOT_MCP_GRAPH_TIMEOUT', kind: 'number', help: 'Deadline for one Graph request in seconds (default 60)' },
  { key: 'auditFile', flag: '--audit-file', env: 'M365_COPILOT_MCP_AUDIT_FILE', kind: 'string', help: 'JSONL audit log, one record per tool call (default <state dir>/audit.jsonl; off disables it)' },
  { key: 'auditMaxBytes', flag: '--audit-max-bytes', env: 'M365_COPILOT_MCP_AUDIT_MAX_BYTES', kind: 'number', help: 'Rotate the audit file before it grows past this many bytes (default 10485760)' },
  { key: 'auditMaxFiles', flag: '--audit-max-files', env: 'M365_COPILOT_MCP_AUDIT_MAX_FILES', kind: 'number', help: 'Rotated audit files kept: FILE.1 (newest) … FILE.N (default 5)' },
  { key: 'auditQueryText', flag: '--audit-query-text', env: 'M365_COPILOT_MCP_AUDIT_QUERY_TEXT', kind: 'string', help: 'Query text in the audit log: hash (HMAC-SHA256, default) | full | omit' },
  { key: 'auditSync', flag: '--audit-sync', env: 'M365_COPILOT_MCP_AUDIT_SYNC', kind: 'boolean', help: 'Sync each audit record to disk before answering (survives a power cut; costs a few ms per call)' },
  { key: 'auditStdout', flag: '--audit-stdout', env: 'M365_COPILOT_MCP_AUDIT_STDOUT', kind: 'boolean', help: 'HTTP mode: also write each audit record as one JSON line on stdout, for container log collectors' },
  { key: 'instanceId', flag: '--instance-id', env: 'M365_COPILOT_MCP_INSTANCE_ID', kind: 'string', help: 'Names this process in audit records (default: host name and process id)' },
  { key: 'withholdLabelPriorityAbove', flag: '--withhold-label-priority-above', env: 'M365_COPILOT_MCP_WITHHOLD_LABEL_PRIORITY_ABOVE', kind: 'number', help: 'Withhold the text of retrieved items whose sensitivity label priority is above N (default: none)' },
  { key: 'withholdLabels', flag: '--withhold-labels', env: 'M365_COPILOT_MCP_WITHHOLD_LABELS', kind: 'string', help: 'Withhold the text of retrieved items with these labels: ids or names, comma-separated (default: none)' },
  { key: 'retrievalBudgetPerHour', flag: '--retrieval-budget-per-hour', env: 'M365_COPILOT_MCP_RETRIEVAL_BUDGET_PER_HOUR', kind: 'number', help: 'Copilot Retrieval calls per user per sliding hour before this server refuses (default 200, as Graph)' },
  { key: 'exportDir', flag: '--export-dir', env: 'M365_COPILOT_MCP_EXPORT_DIR', kind: 'string', help: 'Directory interaction exports may be written into (stdio; default: none, no tool writes files)' },
  { key: 'toolsets', flag: '--toolsets', env: 'M365_COPILOT_MCP_TOOLSETS', kind: 'string', help: 'Offer only the tools of these toolsets, comma-separated (default: all; the README tool table names each tool\'s toolset)' },
  { key: 'tools', flag: '--tools', env: 'M365_COPILOT_MCP_TOOLS', kind: 'string', help: 'Offer only these tools, comma-separated (with --toolsets: either; default: all)' },
  { key: 'enableBeta', flag: '--enable-beta', env: 'M365_COPILOT_MCP_ENABLE_BETA', kind: 'boolean', help: 'Also offer the beta tools copilot_chat and copilot_search (preview Graph APIs that may change; default off)' },
  { key: 'noFastStart', flag: '--no-fast-start', env: 'M365_COPILOT_MCP_NO_FAST_START', kind: 'boolean', help: 'stdio: answer initialize and tools/list only once the whole server has loaded (default: at once, from answers the build rendered)' },
  { key: 'http', flag: '--http', env: 'M365_COPILOT_MCP_HTTP', kind: 'boolean', help: 'Serve Streamable HTTP for many users (bearer tokens, on-behalf-of) instead of stdio' },
  { key: 'host', flag: '--host', env: 'M365_COPILOT_MCP_HOST', kind: 'string', help: 'HTTP mode: interface to listen on (default 127.0.0.1)' },
  { key: 'port', flag: '--port', env: 'M365_COPILOT_MCP_PORT', kind: 'number', help: 'HTTP mode: port (default 3000; 0 picks a free one); emulator: its port' },
  { key: 'publicUrl', flag: '--public-url', env: 'M365_COPILOT_MCP_PUBLIC_URL', kind: 'string', help: 'HTTP mode: the URL clients use (behind a proxy); its host is allowed in Host/Origin' },
  { key: 'serverClientId', flag: '--server-client-id', env: 'M365_COPILOT_MCP_SERVER_CLIENT_ID', kind: 'string', help: "HTTP mode: this server's app id (token audience, on-behalf-of client)" },
  { key: 'serverClientSecret', flag: '--server-client-secret', env: 'M365_COPILOT_MCP_SERVER_CLIENT_SECRET', kind: 'string', help: "HTTP mode: this server's client secret (prefer the variable)" },
  { key: 'serverAudience', flag: '--server-audience', env: 'M365_COPILOT_MCP_SERVER_AUDIENCE', kind: 'string', help: 'HTTP mode: accepted token audiences, comma-separated (default the client id and api://<client id>)' },
  { key: 'requiredScope', flag: '--required-scope', env: 'M365_COPILOT_MCP_REQUIRED_SCOPE', kind: 'string', help: 'HTTP mode: delegated scope every token must carry (default access_as_user)' },
  { key: 'allowedTenants', flag: '--allowed-tenants', env: 'M365_COPILOT_MCP_ALLOWED_TENANTS', kind: 'string', help: 'HTTP mode: tenant ids whose users may call, comma-separated (default --tenant; * any)' },
  { key: 'exportRole', flag: '--export-role', env: 'M365_COPILOT_MCP_EXPORT_ROLE', kind: 'string', help: "HTTP mode: app role allowing export of other users' interactions (default Interactions.Export.All)" },
  { key: 'redisUrl', flag: '--redis', env: 'M365_COPILOT_MCP_REDIS_URL', kind: 'string', help: 'HTTP mode: Redis URL for the token cache shared by several instances' },
  { key: 'redisKey', flag: '--redis-key', env: 'M365_COPILOT_MCP_REDIS_KEY', kind: 'string', help: 'HTTP mode: base64 32-byte key encrypting tokens in Redis (prefer the variable)' },
  { key: 'redisTtlSeconds', flag: '--redis-ttl', env: 'M365_COPILOT_MCP_REDIS_TTL', kind: 'number', help: "HTTP mode: seconds a user's cached tokens live in Redis (default 86400)" },
  { key: 'maxRequestBytes', flag: '--max-request-bytes', env: 'M365_COPILOT_MCP_MAX_REQUEST_BYTES', kind: 'number', help: 'HTTP mode: largest request body accepted, 413 above (default 1048576)' },
  { key: 'httpHeadersTimeoutSeconds', flag: '--http-headers-timeout', env: 'M365_COPILOT_MCP_HTTP_HEADERS_TIMEOUT', kind: 'number', help: 'HTTP mode: seconds a client has to send its request headers (default 10)' },
  { key: 'maxConnections', flag: '--max-connections', env: 'M365_COPILOT_MCP_MAX_CONNECTIONS', kind: 'number', help: 'HTTP mode: most open connections at once (default 1000)' },
  { key: 'shutdownDrainSeconds', flag: '--shutdown-drain', env: 'M365_COPILOT_MCP_SHUTDOWN_DRAIN', kind: 'number', help: "HTTP mode: seconds after SIGTERM the port stays open answering 503 so a balancer's health checks take the instance out (default 0)" },
  { key: 'otelEndpoint', flag: '--otel-endpoint', env: 'OTEL_EXPORTER_OTLP_ENDPOINT', kind: 'string', help: 'OpenTelemetry: OTLP/HTTP endpoint for traces and metrics (default: none, telemetry off)' },
  { key: 'otelMetricIntervalMs', flag: '--otel-metric-interval', env: 'OTEL_METRIC_EXPORT_INTERVAL', kind: 'number', help: 'OpenTelemetry: ms between metric exports (default 60000)' },
  { key: 'shutdownGraceSeconds', flag: '--shutdown-grace', env: 'M365_COPILOT_MCP_SHUTDOWN_GRACE', kind: 'number', help: 'HTTP mode: seconds in-flight calls may finish after SIGTERM (default 10)' },
];

/** A setting's text in the environment; an empty variable is no setting. */
export function envSetting(doc: ConfigKeyDoc, env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[doc.env];
  return raw === '' ? undefined : raw;
}

/** A boolean setting's text, as the environment and the config loader read it; undefined when it is neither. */
export function parseBooleanSetting(raw: string): boolean | undefined {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  return undefined;
}
