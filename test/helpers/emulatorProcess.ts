import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { emulatorControl, type EmulatorDescriptor } from 'm365-copilot-emulator';
import { CLI } from './paths.js';

export interface EmulatorProcess {
  descriptor: EmulatorDescriptor;
  /** The descriptor saved as a file, for `--emulator FILE`. */
  file: string;
  stats(): Promise<EmulatorStats>;
  resetStats(): Promise<void>;
  control(path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export interface EmulatorStats {
  tokenRequests: { total: number; byGrant: Record<string, number>; byUser: Record<string, number>; byClient: Record<string, number> };
  graphRequests: { total: number; inFlight: number; byRoute: Record<string, Record<string, number>> };
  deviceCodes: { issued: number };
}

/** Starts `m365-copilot-mcp emulator` as a real process and reads its one JSON line. */
export async function startEmulatorProcess(args: string[] = []): Promise<EmulatorProcess> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`emulator did not start in 20 s; stderr:\n${stderr}`)), 20_000);
    rl.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}; stderr:\n${stderr}`)));
  });
  const descriptor = JSON.parse(line) as EmulatorDescriptor;
  const dir = mkdtempSync(join(tmpdir(), 'm365-emu-test-'));
  const file = join(dir, 'emulator.json');
  writeFileSync(file, line);
  return handleFor(descriptor, file, async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
}

/** The test's view of a running emulator process, its control routes called with the run's key. */
export function handleFor(descriptor: EmulatorDescriptor, file: string, stop: () => Promise<void>): EmulatorProcess {
  const client = emulatorControl(descriptor);
  const control = (path: string, body?: unknown) => (body === undefined ? client.get(path) : client.post(path, body));
  return {
    descriptor,
    file,
    control,
    stats: async () => (await (await control('/stats')).json()) as EmulatorStats,
    resetStats: async () => {
      await control('/stats/reset', {});
    },
    stop,
  };
}
