// The layering of the server, as rules the build enforces (`npm run lint`, part of `npm test`).
// Each layer names what it must never import; the ARCHITECTURE section of the README explains why.
import tseslint from 'typescript-eslint';

/** One forbidden import, with the reason the lint message gives. */
const forbid = (group, message) => ({ group, message });

const SDK = forbid(['@modelcontextprotocol/*'], 'Only src/server, src/transports and src/composition speak MCP.');
const MSAL = forbid(['@azure/msal-node'], 'MSAL stays inside src/auth.');
const TRANSPORTS = forbid(['**/transports/**'], 'Transports are wired by the composition root, never reached into.');
const COMPOSITION = forbid(['**/composition/**'], 'Only commands call the composition root.');
const POLICY = forbid(['**/policy/**'], 'The Graph layer knows routes, not the policies behind them: they are assembled in src/composition.');
const AUTH = forbid(['**/auth/**'], 'Configuration is read before anything signs in.');
const EMULATOR = forbid(['**/packages/emulator/**', 'm365-copilot-emulator', 'm365-copilot-emulator/*'], 'The server reaches the emulator only from src/composition (--demo) and src/commands (emulator).');
/**
 * What resources and prompts may take from src/tools: the tool definitions they stand on and lead to
 * (their names, permissions), the context type, and the export family's shared rules (who may
 * export whom, how a user is named, how interactions pair), which a conversation resource must
 * apply exactly as the tool does. Everything else of a tool is its own.
 */
const TOOL_INTERNALS = {
  regex: String.raw`^(\.\./)+tools/(?!(tool|signedInUser|exportInteractions|meetingInsights|retrieve)\.js$|export/(refs|users|shape)\.js$)`,
  message: "Resources and prompts use the Copilot API layer (src/graph/copilot) and the tools' public definitions, not tool internals.",
};


/**
 * OpenTelemetry's SDK and exporters load only when telemetry is configured (src/telemetry/startTelemetry.ts,
 * dynamic import()), so cold start does not pay for them; a static import anywhere would.
 */
const OTEL_SDK = forbid(['@opentelemetry/*', '!@opentelemetry/api'], 'Only @opentelemetry/api is imported statically; the SDK and exporters are loaded with import() in src/telemetry/startTelemetry.ts.');

// Every layer's list includes OTEL_SDK (a layer's own list replaces the one of src/** below).
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns: [OTEL_SDK, ...patterns] }] });
/**
 * The emulator is a product of its own and imports nothing of the server: from a file N folders
 * below the package's src/ or test/, a path with N+2 `..` steps leaves the package. One entry per
 * depth, so the rule is exact.
 */
function insideOnly(packageRoot, depths = 4) {
  return Array.from({ length: depths }, (_, depth) => ({
    files: [`${packageRoot}/*/${'*/'.repeat(depth)}*.ts`],
    rules: restrict(forbid([`${'../'.repeat(depth + 2)}**`, 'm365-copilot-mcp', 'm365-copilot-mcp/*'], 'The emulator is a product of its own: it imports nothing of the server (keep your own copy of a contract constant).')),
  }));
}

const noEnv = { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'The environment is read in src/config only (config/load.ts).' }] };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/node_modules/**', 'test/conformance/.cache/**', 'bench/.cache/**', 'packages/*/dist/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // stdout is the protocol in stdio mode: logs go to stderr through src/log.ts.
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // Tests print their summaries (fuzz seeds, soak counts); only the server's stdout is the protocol.
  { files: ['test/**/*.ts'], rules: { 'no-console': 'off' } },
  { files: ['src/**/*.ts'], rules: restrict() },
  { files: ['src/**/*.ts'], ignores: ['src/config/**'], rules: noEnv },
  { files: ['src/tools/**/*.ts'], rules: { ...noEnv, ...restrict(SDK, MSAL, TRANSPORTS, COMPOSITION, EMULATOR) } },
  { files: ['src/graph/**/*.ts'], rules: { ...noEnv, ...restrict(POLICY, SDK, MSAL, TRANSPORTS, COMPOSITION, EMULATOR, forbid(['**/tools/**'], 'The Graph layer serves the tools; it never imports them.')) } },
  { files: ['src/config/**/*.ts'], rules: restrict(AUTH, EMULATOR, SDK, MSAL, COMPOSITION) },
  { files: ['src/policy/**/*.ts'], rules: { ...noEnv, ...restrict(SDK, MSAL, TRANSPORTS, COMPOSITION, EMULATOR) } },
  { files: ['src/resources/**/*.ts', 'src/prompts/**/*.ts'], rules: { ...noEnv, ...restrict(MSAL, TRANSPORTS, COMPOSITION, EMULATOR, TOOL_INTERNALS) } },
  { files: ['src/auth/**/*.ts'], rules: { ...noEnv, ...restrict(SDK, TRANSPORTS, COMPOSITION, EMULATOR, forbid(['**/tools/**', '**/server/**'], 'Auth knows nothing of tools or the MCP server.')) } },
  { files: ['src/server/**/*.ts', 'src/transports/**/*.ts'], rules: { ...noEnv, ...restrict(MSAL, COMPOSITION, EMULATOR) } },
  // Telemetry observes the other layers through their types and the logger; it drives none of them.
  {
    files: ['src/telemetry/**/*.ts'],
    rules: { ...noEnv, ...restrict(SDK, MSAL, TRANSPORTS, COMPOSITION, EMULATOR, POLICY, forbid(['**/tools/**', '**/server/**', '**/auth/**'], 'Telemetry records what the other layers do; it never imports their logic (the Graph transport types and the logger only).')) },
  },
  // Process-level helpers every layer may use (a process's liveness, V8's young-generation policy): Node's builtins and each other only.
  { files: ['src/util/**/*.ts'], rules: { ...noEnv, ...restrict({ regex: String.raw`^(?!node:|\./)`, message: 'src/util imports only Node builtins and its own modules: every layer may use it.' }) } },
  ...insideOnly('packages/emulator'),
);
