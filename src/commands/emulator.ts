import { readFile } from 'node:fs/promises';
import { parseFaultPlan, type FaultPlan } from '../emulator/faultPlan.js';
import { AppError } from '../errors.js';

function intFlag(flags: Record<string, string | boolean | undefined>, name: string, min: number, max: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new AppError('InvalidArgument', `--${name} must be an integer from ${min} to ${max}, got "${raw}"`, { nextStep: `Fix --${name}.` });
  return n;
}

/** `--faults JSON` or `--faults @file.json`, validated here so a typo fails before the emulator starts. */
export async function faultsFlag(flags: Record<string, string | boolean | undefined>): Promise<FaultPlan | undefined> {
  const raw = flags['faults'];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const fix = { nextStep: 'Fix --faults: a JSON fault plan or @path/to/plan.json (see --help).' };
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = await readFile(raw.slice(1), 'utf8');
    } catch (err) {
      throw new AppError('InvalidArgument', `--faults: cannot read ${raw.slice(1)}: ${(err as Error).message}`, fix);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('InvalidArgument', '--faults is not valid JSON', fix);
  }
  const parsed = parseFaultPlan(json);
  if (!parsed.ok) throw new AppError('InvalidArgument', `--faults: ${parsed.message}`, fix);
  return parsed.plan;
}

/** `m365-copilot-mcp emulator`: the emulated tenant alone, described by one JSON line on stdout. */
export async function runEmulatorCommand(flags: Record<string, string | boolean | undefined>): Promise<number> {
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
  const { startEmulator } = await import('../emulator/index.js');
  const emulator = await startEmulator({
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
    ...(faults !== undefined ? { faults } : {}),
  });
  process.stdout.write(`${JSON.stringify(emulator.descriptor)}\n`);
  process.stderr.write(`m365-copilot-mcp emulator: emulated tenant (not Microsoft 365) on ${emulator.descriptor.graphBaseUrl}; stop with Ctrl+C\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.close();
  return 0;
}
