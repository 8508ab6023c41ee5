import type { ParseArgsConfig } from 'node:util';
import { CONFIG_KEYS } from './config/keys.js';

/**
 * The command line's commands and options, in one table for the CLI and the fast start
 * (src/transports/fastStart/), which must read argv exactly as the CLI will, before zod loads.
 */
export const COMMANDS = ['serve', 'emulator', 'login', 'logout', 'status', 'doctor', 'setup', 'install'] as const;

export const options: NonNullable<ParseArgsConfig['options']> = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  config: { type: 'string' },
  port: { type: 'string' },
  scale: { type: 'string' },
  seed: { type: 'string' },
  'auto-approve': { type: 'string' },
  'retrieval-budget': { type: 'string' },
  'device-code': { type: 'boolean' },
  browser: { type: 'boolean' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  'device-code-interval': { type: 'string' },
  'token-lifetime': { type: 'string' },
  'without-app-role': { type: 'string' },
  'user-consent': { type: 'boolean' },
  'fresh-tenant': { type: 'boolean' },
  'client-metadata-documents': { type: 'string' },
  faults: { type: 'string' },
  users: { type: 'string' },
  user: { type: 'string' },
  audience: { type: 'string' },
  scope: { type: 'string' },
  lifetime: { type: 'string' },
  print: { type: 'boolean' },
  name: { type: 'string' },
  'client-config': { type: 'string' },
  'dry-run': { type: 'boolean' },
  preauthorize: { type: 'string' },
  'new-secret': { type: 'boolean' },
  'secret-file': { type: 'string' },
  'export-app': { type: 'boolean' },
  'export-secret-file': { type: 'string' },
  'admin-client-id': { type: 'string' },
};
for (const doc of CONFIG_KEYS) options[doc.flag.slice(2)] = { type: doc.kind === 'boolean' ? 'boolean' : 'string' };
