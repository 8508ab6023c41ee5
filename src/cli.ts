#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { AppError } from './errors.js';
import { COMMANDS, options } from './cliOptions.js';
import { CONFIG_KEYS } from './config/keys.js';
import { loadConfig, nearest, unknownEnvironment } from './config/load.js';
import { packageVersion } from './version.js';
import { settleYoungGeneration } from './util/youngGeneration.js';

// argv → config → one of: the stdio server (default) | the emulator | a terminal command.
// Everything heavy is imported lazily so `--help`, `--version` and the first protocol answer stay fast
// (and in the bundle the stub's fast start answers the opening before this module loads).

function helpText(): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const rows = CONFIG_KEYS.map((d) => `  ${pad(`${d.flag}${d.kind === 'boolean' ? '' : ' VALUE'}`, 30)} ${d.help}\n  ${pad('', 30)} env: ${d.env}`);
  return `m365-copilot-mcp ${packageVersion()} — MCP server for the Microsoft 365 Copilot APIs

Usage:
  m365-copilot-mcp [options]                 stdio MCP server (real tenant, or --demo / --emulator FILE)
  m365-copilot-mcp --demo                    stdio server against the built-in emulated tenant (no account needed)
  m365-copilot-mcp serve --http [--host H] [--port N] [--public-url URL] [--demo|--emulator FILE]
                                             Streamable HTTP for many users: bearer tokens checked locally, Graph
                                             called on behalf of each user; prints ONE JSON line with its URL
  m365-copilot-mcp login [--device-code|--browser] [--tenant T] [--account UPN]
                                             sign in from a terminal; tokens go to the OS keychain or an encrypted file
  m365-copilot-mcp logout [--account UPN|--all]
                                             forget one signed-in account, or all
  m365-copilot-mcp status [--json]           accounts, tenant, cloud, scopes, token expiry, cache backend (exit 0 signed in, 1 not)
  m365-copilot-mcp setup --public-url URL [--client-id ID] [--server-client-id ID] [--preauthorize ID,...]
                         [--new-secret] [--secret-file PATH] [--export-app [--export-client-id ID] [--export-secret-file PATH]]
                         [--admin-client-id ID] [--dry-run] [--json]
                                             an administrator signs in (device code); creates or updates the public
                                             client, the server app (secret shown once) and admin consent; --export-app:
                                             the export app, its Graph application permissions and the export app role; prints the flags
  m365-copilot-mcp doctor [--json]           check config, authority, Graph, sign-in, permissions per tool, Copilot licence,
                                             export app, keychain; one line each with the fix (exit 1 if a tool cannot work)
  m365-copilot-mcp install CLIENT [--print] [--name N] [--client-config FILE] [--demo|--emulator FILE|--tenant T --client-id ID …]
                                             add this server to a client's configuration (CLIENT: claude-desktop, claude-code,
                                             vscode, cursor, codex, gemini-cli), launched as this node and this CLI by absolute
                                             path with the flags given; keeps other servers, backs up the file; --print only prints
  m365-copilot-mcp emulator [--port N] [--scale S] [--seed N] [--users N] [--auto-approve UPN|demo]
                                             run the emulated tenant alone; prints ONE JSON line describing it
                                             (save it to a file and pass --emulator FILE to a server)
  m365-copilot-mcp emulator token --emulator FILE --user UPN|demo [--audience A] [--scope S] [--tenant T] [--lifetime N]
                                             print ONE access token of the running emulator for that user (default: for its
                                             MCP server app, as remote mode receives them), e.g. for curl -H "Authorization: Bearer …"

Options:
${rows.join('\n')}
  ${pad('--config FILE', 30)} JSON file with any of the settings above (camelCase keys)
  ${pad('', 30)} env: M365_COPILOT_MCP_CONFIG
  ${pad('-h, --help', 30)} show this help
  ${pad('-v, --version', 30)} print the version

Emulator options:
  ${pad('--port N', 30)} listen on 127.0.0.1:N (default: a free port); identity (https) and Graph (http) share it
  ${pad('--scale S', 30)} multiply the generated interactions (1 → 5,000+; 20 → 100,000+)
  ${pad('--seed N', 30)} data seed (default 1)
  ${pad('--users N', 30)} users in the tenant, 10 to 1000 (default 10); extra generated users each get private files
  ${pad('--auto-approve UPN|demo', 30)} approve every device-code and browser sign-in as this user (demo: the demo user)
  ${pad('--retrieval-budget N', 30)} retrieval calls allowed per user per hour (default 200, as Graph)
  ${pad('--device-code-interval N', 30)} seconds between device-code polls the emulator asks for (default 5)
  ${pad('--token-lifetime N', 30)} access token lifetime in seconds, 1 to 86400 (default 3600)
  ${pad('--user-consent', 30)} per-user consent: a refresh cannot add scopes (default: admin consent)
  ${pad('--fresh-tenant', 30)} no public client and no MCP server app yet (setup creates them)
  ${pad('--without-app-role R[,R]', 30)} withhold these application permissions from the export app (test a missing consent)
  ${pad('--client-metadata-documents CA', 30)} accept client ID metadata documents (https URL client ids), fetched only from
  ${pad('', 30)} loopback servers signed by this CA (PEM file)
  ${pad('--faults JSON|@FILE', 30)} inject Graph faults (429, 503, 504, resets, latency, broken bodies) per a seeded plan;
  ${pad('', 30)} e.g. '{"seed":7,"routes":{"POST /copilot/retrieval":{"throttle":0.2}}}'; POST /_emulator/faults changes it

Install options (install CLIENT):
  ${pad('--print', 30)} print the client's whole configuration file as it would be written; change nothing
  ${pad('--name N', 30)} the server's name in that file (default m365-copilot)
  ${pad('--client-config FILE', 30)} write this file instead of the client's user configuration (e.g. a project's .vscode/mcp.json)
  ${pad('', 30)} any server option above is passed through to the server (secrets into the entry's env)

Emulator token options (emulator token):
  ${pad('--user UPN|ID|demo', 30)} whose token: a user of the emulated tenant or of its other tenant (required)
  ${pad('--audience A', 30)} token audience (default the MCP server app's client id; https://graph.microsoft.com for a Graph token)
  ${pad('--scope S', 30)} space-separated scopes for scp (default access_as_user)
  ${pad('--tenant T', 30)} tenant id or domain the user belongs to (default: either)
  ${pad('--lifetime N', 30)} seconds until it expires (default the emulator's); negative, e.g. --lifetime=-60, for an expired token

Settings apply in this order, later winning: defaults, config file, environment, flags.
Logs go to stderr; in stdio mode stdout carries only the MCP protocol.
`;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const unknown = /Unknown option '(--?[^']+)'/.exec((err as Error).message)?.[1];
    const suggestion = unknown ? nearest(unknown.replace(/^-+/, ''), Object.keys(options)) : undefined;
    const what = unknown ? `unknown option ${unknown}${suggestion ? ` (did you mean --${suggestion}?)` : ''}` : (err as Error).message;
    process.stderr.write(`m365-copilot-mcp: ${what}\nRun \`m365-copilot-mcp --help\` for the options.\n`);
    return 2;
  }
  const { positionals } = parsed;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help']) {
    process.stdout.write(helpText());
    return 0;
  }
  if (values['version']) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'serve';
  const emulatorToken = command === 'emulator' && positionals[1] === 'token';
  if (!(COMMANDS as readonly string[]).includes(command) || positionals.length > (emulatorToken || command === 'install' ? 2 : 1)) {
    process.stderr.write(`m365-copilot-mcp: unknown command "${positionals.join(' ')}"; expected one of: ${COMMANDS.join(', ')}\n`);
    return 2;
  }
  const flags = values;
  // Only the stdio server keeps the small young generation the stub started with (see the module).
  if (command !== 'serve') settleYoungGeneration('v8-default');
  // The entry clients should run is dist/cli.js (the stub that turns on the compile cache), which sits
  // beside this module both bundled (dist/cli.chunk-main.js) and unbundled (tsc's dist/cli.js).
  if (command === 'install') return (await import('./commands/install.js')).runInstall(positionals[1], new URL('./cli.js', import.meta.url).href, flags);
  if (emulatorToken) return (await import('./commands/emulatorToken.js')).runEmulatorTokenCommand(flags);
  if (command === 'emulator') {
    const { runEmulatorCommand } = await import('./commands/emulator.js');
    return runEmulatorCommand(flags);
  }
  for (const { name, suggestion } of unknownEnvironment())
    process.stderr.write(`m365-copilot-mcp: warning: ${name} is not a setting and is ignored${suggestion ? ` (did you mean ${suggestion}?)` : ''}\n`);
  // The configuration is loaded here, once, for every command that runs against a tenant.
  if (command === 'doctor') return (await import('./commands/doctor.js')).runDoctor(await loadConfig({ flags }).catch((err: Error) => err), flags);
  const config = await loadConfig({ flags });
  if (command === 'login') return (await import('./commands/login.js')).runLogin(config, flags);
  if (command === 'setup') return (await import('./commands/setup.js')).runSetup(config, flags);
  if (command === 'logout') return (await import('./commands/login.js')).runLogout(config, flags);
  if (command === 'status') return (await import('./commands/status.js')).runStatus(config, flags);
  if (positionals[0] === 'serve' && !config.http)
    process.stderr.write('m365-copilot-mcp: serve without --http serves MCP over stdio for one local user (add --http for Streamable HTTP)\n');
  const { runServe } = await import('./commands/serve.js');
  return runServe(config);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err) => {
    if (err instanceof AppError) {
      process.stderr.write(`m365-copilot-mcp: [${err.code}] ${err.message}${err.nextStep ? `\nNext step: ${err.nextStep}` : ''}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`m365-copilot-mcp: unexpected failure: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 70;
    }
    // Whatever started before the failure (an in-process emulator, sockets) must not keep a failed start alive.
    setTimeout(() => process.exit(), 100).unref();
  },
);
