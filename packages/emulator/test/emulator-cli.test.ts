import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmulatorDescriptorSchema } from '../src/descriptor.js';

/** The package's own program (its bin, which runs the build output: `npm test` here or at the root builds first). */
const BIN = fileURLToPath(new URL('../bin/m365-copilot-emulator.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/commandLine/emulatorCli.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('m365-copilot-emulator (the bin)', () => {
  it('documents every flag it accepts', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--port', '--scale', '--seed', '--users', '--auto-approve', '--retrieval-budget', '--device-code-interval', '--token-lifetime', '--user-consent', '--without-app-role', '--faults'])
      expect(help.stdout).toContain(flag);
  });

  it('refuses a bad value with the fix (exit 1) and an unknown flag (exit 2), printing nothing on stdout', async () => {
    const port = await run(['--port', '70000']);
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/--port must be an integer from 0 to 65535, got "70000"\nNext step: Fix --port\./);
    const unknown = await run(['--prot', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--prot/);
    expect(port.stdout + unknown.stdout).toBe('');
  });

  it('prints ONE JSON line describing the tenant, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, '--users', '12', '--seed', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const first = new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => {
        lines.push(l);
        resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before its JSON line`)));
    });
    const descriptor = EmulatorDescriptorSchema.parse(JSON.parse(await first));
    expect(descriptor.users).toHaveLength(12);
    expect((await fetch(`${descriptor.controlUrl}/health`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines).toHaveLength(1);
  });
});
