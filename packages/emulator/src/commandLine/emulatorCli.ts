#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { EmulatorFlagError, emulatorOptionsFromFlags } from './emulatorFlags.js';
import { serveUntilSignal } from './serveUntilSignal.js';

/**
 * `m365-copilot-emulator`: the emulated tenant as a program of its own, the same as
 * `m365-copilot-mcp emulator` (same flags, the same one JSON line on stdout) without the server.
 */
const NAME = 'm365-copilot-emulator';

const FLAGS: Record<string, { type: 'string' | 'boolean'; usage: string; help: string }> = {
  port: { type: 'string', usage: '--port N', help: 'listen on 127.0.0.1:N (default: a free port); identity (https) and Graph (http) share it' },
  scale: { type: 'string', usage: '--scale S', help: 'multiply the generated interactions (1 → 5,000+; 20 → 100,000+)' },
  seed: { type: 'string', usage: '--seed N', help: 'data seed (default 1)' },
  users: { type: 'string', usage: '--users N', help: 'users in the tenant, 10 to 1000 (default 10); extra generated users each get private files' },
  'auto-approve': { type: 'string', usage: '--auto-approve UPN|demo', help: 'approve every device-code and browser sign-in as this user (demo: the demo user)' },
  'retrieval-budget': { type: 'string', usage: '--retrieval-budget N', help: 'retrieval calls allowed per user per hour (default 200, as Graph)' },
  'device-code-interval': { type: 'string', usage: '--device-code-interval N', help: 'seconds between device-code polls the emulator asks for (default 5)' },
  'token-lifetime': { type: 'string', usage: '--token-lifetime N', help: 'access token lifetime in seconds, 1 to 86400 (default 3600)' },
  'user-consent': { type: 'boolean', usage: '--user-consent', help: 'per-user consent: a refresh cannot add scopes (default: admin consent)' },
  'fresh-tenant': { type: 'boolean', usage: '--fresh-tenant', help: 'start without the public client and MCP server app (for `m365-copilot-mcp setup` to create)' },
  'without-app-role': { type: 'string', usage: '--without-app-role R[,R]', help: 'withhold these application permissions from the export app (test a missing consent)' },
  'client-metadata-documents': { type: 'string', usage: '--client-metadata-documents CA', help: 'accept client ID metadata documents (https URL client ids), fetched only from loopback servers signed by this CA (PEM)' },
  faults: { type: 'string', usage: '--faults JSON|@FILE', help: 'inject Graph faults (429, 503, 504, resets, latency, broken bodies) per a seeded plan; POST /_emulator/faults changes it' },
};

function helpText(): string {
  const rows = Object.values(FLAGS).map((f) => `  ${f.usage.padEnd(30)} ${f.help}`);
  return `${NAME} — an offline Microsoft 365 Copilot tenant (an emulator, not Microsoft's service)

Usage:
  ${NAME} [options]
      runs the emulated tenant and prints ONE JSON line describing it (save it to a file and pass
      --emulator FILE to m365-copilot-mcp); stop with Ctrl+C

Options:
${rows.join('\n')}
  ${'-h, --help'.padEnd(30)} show this help
`;
}

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: f.type }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`${NAME}: ${(err as Error).message}\nRun \`${NAME} --help\` for the options.\n`);
    return 2;
  }
  if (values['help']) {
    process.stdout.write(helpText());
    return 0;
  }
  try {
    return await serveUntilSignal(await emulatorOptionsFromFlags(values), NAME);
  } catch (err) {
    if (!(err instanceof EmulatorFlagError)) throw err;
    process.stderr.write(`${NAME}: ${err.message}\nNext step: ${err.nextStep}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${NAME}: unexpected failure: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
