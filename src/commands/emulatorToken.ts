import { readEmulatorDescriptor } from '../config/endpoints.js';
import { AppError } from '../errors.js';

type Flags = Record<string, string | boolean | undefined>;

const MAX_LIFETIME_SEC = 86_400;

function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function lifetimeFlag(flags: Flags): number | undefined {
  const raw = stringFlag(flags, 'lifetime');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n === 0 || Math.abs(n) > MAX_LIFETIME_SEC) {
    throw new AppError('InvalidArgument', `--lifetime must be a whole number of seconds from -${MAX_LIFETIME_SEC} to ${MAX_LIFETIME_SEC}, not 0 (got "${raw}")`, {
      nextStep: 'Fix --lifetime: positive for a valid token, negative (written --lifetime=-60) for one that expired that long ago.',
    });
  }
  return n;
}

/**
 * `m365-copilot-mcp emulator token --emulator FILE --user UPN`: asks a running emulator to mint an
 * access token (by default for its MCP server app, as remote mode receives them) and prints it as
 * the only line on stdout, for curl and tests. The emulator's tokens are worthless anywhere else.
 */
export async function runEmulatorTokenCommand(flags: Flags): Promise<number> {
  const file = stringFlag(flags, 'emulator');
  if (file === undefined) {
    throw new AppError('InvalidArgument', '`emulator token` needs the running emulator\'s file (--emulator FILE)', {
      nextStep: 'Start one with `m365-copilot-mcp emulator > emulator.json`, then pass --emulator emulator.json.',
    });
  }
  const lifetimeSec = lifetimeFlag(flags);
  const descriptor = await readEmulatorDescriptor(file);
  const userFlag = stringFlag(flags, 'user');
  if (userFlag === undefined) {
    throw new AppError('InvalidArgument', '`emulator token` needs --user UPN', {
      nextStep: `Pass --user with a UPN or object id from ${file} ("users", "otherTenant.users"), or --user demo for ${descriptor.demoUser}.`,
    });
  }
  const audience = stringFlag(flags, 'audience');
  const scope = stringFlag(flags, 'scope');
  const tenant = stringFlag(flags, 'tenant');
  const body = {
    user: userFlag.toLowerCase() === 'demo' ? descriptor.demoUser : userFlag,
    ...(audience === undefined ? {} : { audience }),
    ...(scope === undefined ? {} : { scope }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(lifetimeSec === undefined ? {} : { lifetimeSec }),
  };

  const url = `${descriptor.controlUrl}/tokens/mint`;
  let res: Response;
  try {
    const headers = { 'content-type': 'application/json', 'x-emulator-control-key': descriptor.controlKey };
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  } catch (cause) {
    throw new AppError('EmulatorError', `cannot reach the emulator at ${descriptor.controlUrl}`, {
      cause,
      nextStep: `Is it still running? Start it with \`m365-copilot-mcp emulator > ${file}\` (each run has new ports and keys) and retry.`,
    });
  }
  const answer = (await res.json().catch(() => undefined)) as { access_token?: unknown; error?: { message?: unknown } } | undefined;
  if (!res.ok || typeof answer?.access_token !== 'string') {
    const reason = typeof answer?.error?.message === 'string' ? answer.error.message : `HTTP ${res.status}`;
    throw new AppError(res.status === 400 ? 'InvalidArgument' : 'EmulatorError', `the emulator refused to mint a token: ${reason}`, {
      nextStep:
        res.status === 400
          ? `Fix the flags: --user must be a UPN or object id from ${file}, --tenant its tenant id or domain.`
          : res.status === 401
            ? `${file} holds another run's controlKey: write the file anew from the running emulator's one JSON line.`
            : `Check that ${file} describes the emulator that is running now, or start a new one.`,
    });
  }
  process.stdout.write(`${answer.access_token}\n`);
  return 0;
}
