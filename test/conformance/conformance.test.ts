import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { connectHttpClient, mintToken } from '../helpers/httpServer.js';
import { startBearerProxy, type BearerProxy } from './bearerProxy.js';
import { evaluate, readResults, type Expected, type SetReport } from './evaluate.js';
import { CACHE, CONFORMANCE_VERSION, NODE22_VERSION, OFFLINE_SWITCH, ensureToolchain, serverScenarios, type Toolchain } from './toolchain.js';

/**
 * @modelcontextprotocol/conformance (server leg) against our Streamable HTTP server, for the
 * 2025-11-25 and 2026-07-28 requirement sets. What it drives is production code: `serve --http`
 * through test/conformance/server.mjs (config, Host/Origin checks, the Entra bearer gate verifying
 * emulator-signed JWTs, createMcpHandler, our 4 tools via buildServer), plus the suite's fixture
 * tools/resources/prompts (test/conformance/fixtureServer.mjs). The suite cannot send bearer tokens,
 * so it talks to a loopback proxy that adds one minted for the emulator's demo user.
 *
 * Each set's outcome must match test/conformance/expected-failures.<set>.json exactly: an unlisted
 * failure or warning fails this test, and so does a listed one that no longer happens.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const SETS = ['2025-11-25', '2026-07-28'] as const;
type RequirementSet = (typeof SETS)[number];
/** Per scenario. Four 2025 scenarios can only end by this timeout (see the expected failures), so keep it short. */
const SCENARIO_TIMEOUT_MS = 10_000;

let toolchain: Toolchain | undefined;
let skipReason: string | undefined;
let emulator: EmulatorProcess | undefined;
let server: LauncherProcess | undefined;
let proxy: BearerProxy | undefined;
let token = '';
const runs = new Map<RequirementSet, Promise<SuiteRun>>();

interface LauncherProcess {
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}
interface SuiteRun {
  code: number | null;
  output: string;
  outputDir: string;
  ms: number;
}

/** Starts test/conformance/server.mjs (the production `serve --http` plus fixtures) and reads its JSON line. */
async function startLauncher(emulatorFile: string): Promise<LauncherProcess> {
  const state = mkdtempSync(join(tmpdir(), 'm365-mcp-conformance-'));
  const env: Record<string, string> = { HOME: state, M365_COPILOT_MCP_STATE_DIR: state, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
  for (const k of ['PATH', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k]!;
  const child: ChildProcess = spawn(process.execPath, [join(HERE, 'server.mjs'), '--emulator', emulatorFile, '--port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-64_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`conformance server did not start in 20 s; stderr:\n${stderr}`)), 20_000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`conformance server exited with ${code}; stderr:\n${stderr}`));
    });
  });
  return {
    url: (JSON.parse(line) as { url: string }).url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** One `conformance server --requirements <set>` run under Node 22; results land in .cache/results/<set>. */
function runSuite(tc: Toolchain, set: RequirementSet, url: string): Promise<SuiteRun> {
  const outputDir = join(CACHE, 'results', set);
  rmSync(outputDir, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true });
  const started = Date.now();
  // Only the `server` command: it talks to --url and nothing else (never `tier-check`, which calls GitHub).
  const args = [tc.cli, 'server', '--url', url, '--requirements', set, '--timeout', String(SCENARIO_TIMEOUT_MS), '-o', outputDir];
  const env: Record<string, string> = { PATH: `${dirname(tc.node)}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' };
  for (const k of ['HOME', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k]!;
  return new Promise((resolve, reject) => {
    const child = spawn(tc.node, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    const take = (d: Buffer) => (output = (output + d.toString()).slice(-200_000));
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, outputDir, ms: Date.now() - started });
    });
  });
}

function describeReport(set: RequirementSet, report: SetReport, run: SuiteRun): string {
  const { scored, notScored, other } = report.scenarios;
  return [
    `conformance ${CONFORMANCE_VERSION} --requirements ${set} (${(run.ms / 1000).toFixed(1)} s, results in ${run.outputDir}):`,
    `  required scenarios: ${scored.passed.length} passed, ${scored.failed.length} failed${scored.failed.length ? ` (${scored.failed.join(', ')})` : ''}`,
    `  run but not scored: ${notScored.passed.length} passed, ${notScored.failed.length} failed${notScored.failed.length ? ` (${notScored.failed.join(', ')})` : ''}`,
    ...(other.length ? [`  other scenarios reported: ${other.join(', ')}`] : []),
    `  checks: ${report.checks.passed} passed, ${report.checks.failed} failed, ${report.checks.warnings} warnings`,
  ].join('\n');
}

beforeAll(async () => {
  try {
    toolchain = await ensureToolchain();
  } catch (err) {
    const message = (err as Error).message;
    if (process.env['CI'] === 'true' || process.env[OFFLINE_SWITCH] !== '1') throw err;
    skipReason = `${OFFLINE_SWITCH}=1: SKIPPING the MCP conformance suite — ${message.split('\n')[0]}`;
    process.stderr.write(`\n${'!'.repeat(100)}\n!! ${skipReason}\n!! This run says NOTHING about protocol conformance. CI never skips.\n${'!'.repeat(100)}\n\n`);
    return;
  }
  emulator = await startEmulatorProcess();
  server = await startLauncher(emulator.file);
  token = await mintToken(emulator, { user: emulator.descriptor.demoUser });
  proxy = await startBearerProxy(server.url, token);
  // Both sets at once: the server is stateless, and the 2025 set mostly waits on its timeouts.
  for (const set of SETS) {
    const run = runSuite(toolchain, set, proxy.url);
    run.catch(() => {});
    runs.set(set, run);
  }
}, 200_000);

afterAll(async () => {
  await Promise.allSettled(runs.values());
  await proxy?.close();
  await server?.stop();
  await emulator?.stop();
});

describe(`MCP conformance (@modelcontextprotocol/conformance@${CONFORMANCE_VERSION} on Node ${NODE22_VERSION})`, () => {
  it('runs against the production bearer gate, with our 4 tools next to the fixtures', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    // Straight to the server, no token: the same gate every suite request passed (the proxy only adds the header).
    const bare = await fetch(server!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const client = await connectHttpClient('v2-2026', server!.url, token);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['copilot_retrieve', 'copilot_export_interactions', 'copilot_meeting_insights', 'copilot_status', 'test_simple_text']));
    } finally {
      await client.close();
    }
  });

  it.for(SETS)('requirement set %s: failures and warnings are exactly those in its expected-failures file', { timeout: 150_000 }, async (set, ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const run = await runs.get(set)!;
    // 0: every scored scenario passed; 1: some failed. Anything else is a crash of the suite itself.
    expect(run.code, `the suite crashed:\n${run.output.slice(-4000)}`).toBeOneOf([0, 1]);
    const expected = JSON.parse(readFileSync(join(HERE, `expected-failures.${set}.json`), 'utf8')) as Expected;
    expect(expected.suite, 'expected-failures file was written for another suite version: re-run and reconcile it').toBe(
      `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`,
    );
    const report = evaluate(readResults(run.outputDir), expected, await serverScenarios(toolchain!, set));
    console.log(describeReport(set, report, run));
    expect(report.problems, `${report.problems.join('\n')}\n\n${describeReport(set, report, run)}\nserver stderr (tail):\n${server!.stderr().slice(-3000)}`).toEqual([]);
  });
});
