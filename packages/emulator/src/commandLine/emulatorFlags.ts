import { readFile } from 'node:fs/promises';
import { parseFaultPlan, type FaultPlan } from '../faultPlan.js';
import type { EmulatorOptions } from '../startEmulator.js';

export type EmulatorFlags = Record<string, string | boolean | undefined>;

/**
 * A flag with a bad value: what is wrong and how to fix it. The emulator's own command line prints
 * it; `m365-copilot-mcp emulator` turns it into the server's InvalidArgument error, so both read alike.
 */
export class EmulatorFlagError extends Error {
  constructor(
    message: string,
    readonly nextStep: string,
  ) {
    super(message);
    this.name = 'EmulatorFlagError';
  }
}

function intFlag(flags: EmulatorFlags, name: string, min: number, max: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new EmulatorFlagError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`, `Fix --${name}.`);
  return n;
}

/** `--faults JSON` or `--faults @file.json`, validated here so a typo fails before the emulator starts. */
export async function faultsFlag(flags: EmulatorFlags): Promise<FaultPlan | undefined> {
  const raw = flags['faults'];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const fix = 'Fix --faults: a JSON fault plan or @path/to/plan.json (see --help).';
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = await readFile(raw.slice(1), 'utf8');
    } catch (err) {
      throw new EmulatorFlagError(`--faults: cannot read ${raw.slice(1)}: ${(err as Error).message}`, fix);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EmulatorFlagError('--faults is not valid JSON', fix);
  }
  const parsed = parseFaultPlan(json);
  if (!parsed.ok) throw new EmulatorFlagError(`--faults: ${parsed.message}`, fix);
  return parsed.plan;
}

/** The emulator's command-line flags (`--port N`, `--users N`, `--faults JSON|@FILE`, …) as start options. */
/** `--client-metadata-documents CA_FILE`: the tenant accepts CIMD client ids, fetched from loopback servers this CA signed. */
async function clientMetadataDocumentsFlag(flags: EmulatorFlags): Promise<{ caPem: string } | undefined> {
  const file = flags['client-metadata-documents'];
  if (file === undefined || typeof file === 'boolean') return undefined;
  try {
    return { caPem: await readFile(file, 'utf8') };
  } catch (err) {
    throw new EmulatorFlagError(`--client-metadata-documents: cannot read ${file}: ${(err as Error).message}`, 'Pass the PEM file of the CA that signed the loopback server serving the documents.');
  }
}

export async function emulatorOptionsFromFlags(flags: EmulatorFlags): Promise<EmulatorOptions> {
  const port = intFlag(flags, 'port', 0, 65535);
  const scale = intFlag(flags, 'scale', 1, 1000);
  const seed = intFlag(flags, 'seed', 0, 2 ** 31 - 1);
  const users = intFlag(flags, 'users', 10, 1000);
  const retrievalBudget = intFlag(flags, 'retrieval-budget', 1, 1_000_000);
  const interval = intFlag(flags, 'device-code-interval', 1, 60);
  const tokenLifetime = intFlag(flags, 'token-lifetime', 1, 86_400);
  const withoutRole = typeof flags['without-app-role'] === 'string' ? flags['without-app-role'] : undefined;
  const autoApprove = typeof flags['auto-approve'] === 'string' ? flags['auto-approve'] : undefined;
  const faults = await faultsFlag(flags);
  const documents = await clientMetadataDocumentsFlag(flags);
  return {
    ...(port !== undefined ? { port } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(users !== undefined ? { users } : {}),
    ...(autoApprove ? { autoApproveUpn: autoApprove } : {}),
    ...(retrievalBudget !== undefined ? { retrievalBudgetPerHour: retrievalBudget } : {}),
    ...(interval !== undefined ? { deviceCodeIntervalSec: interval } : {}),
    ...(tokenLifetime !== undefined ? { accessTokenLifetimeSec: tokenLifetime } : {}),
    ...(withoutRole ? { withoutAppRoles: withoutRole.split(',').map((r) => r.trim()) } : {}),
    ...(flags['user-consent'] === true ? { userConsent: true } : {}),
    ...(flags['fresh-tenant'] === true ? { freshTenant: true } : {}),
    ...(faults !== undefined ? { faults } : {}),
    ...(documents !== undefined ? { clientMetadataDocuments: documents } : {}),
  };
}
