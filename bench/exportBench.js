// Issue 6: copilot_export_interactions_to_file, every interaction of an emulated tenant at
// --scale 18 (100,805 interactions over 10 users: the smallest scale with at least 100k) streamed to
// JSONL by the built server over stdio. Reports items/s (wall clock, so the client-side export rate
// limit is included), the server's peak RSS (VmHWM) and its CPU time per item. Issue 17: a second,
// small run (--scale 2, ≈11k interactions) reports its peak RSS beside the big one's, so "memory does
// not depend on volume" is one ratio. `node bench/exportBench.js` after `npm run build`, or part of
// `npm run bench`. BENCH_EXPORT_MEMORY=1 also prints the server's memoryUsage() every 200 ms and
// its resident memory by mapping at exit (bench/memorySampler.cjs) on stderr.
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = process.env.BENCH_CLI ?? join(root, 'dist', 'cli.js'); // as in run.js
const SCALE = Number(process.env.BENCH_EXPORT_SCALE ?? 18);
/** The big run must pass at least this many interactions through (issue 17's 100k row). */
const BIG_RUN_MIN_INTERACTIONS = process.env.BENCH_EXPORT_SCALE ? 0 : 100_000;
const SMALL_SCALE = Number(process.env.BENCH_EXPORT_SMALL_SCALE ?? 2);
/**
 * Graph's limit (30 requests/s per app per tenant; ~83 % sustained) over 100-item pages caps any
 * compliant client at ~2,400–3,000 items/s. Peak RSS: on every run, small or big (issue 17).
 */
export const EXPORT_GOALS = { itemsPerSecond: 5000, peakRssMb: 100 };
const memorySampler = join(root, 'bench', 'memorySampler.cjs');

/** `m365-copilot-mcp emulator` as its own process, so its memory is not the server's. */
async function startEmulator(dir, scale) {
  const child = spawn(process.execPath, [cli, 'emulator', '--scale', String(scale)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const file = join(dir, 'emulator.json');
  writeFileSync(file, line);
  return { descriptor: JSON.parse(line), file, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}

/** Raw JSON-RPC over the server's stdio, keeping the pid for /proc. */
function startServer(nodeArgs, args, env) {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const waiters = new Map();
  // A server that dies must fail the run, not leave it waiting for an answer forever.
  child.once('exit', (code, signal) => {
    for (const w of waiters.values()) w({ error: { message: `server exited (${code ?? signal})` } });
    waiters.clear();
  });
  const listeners = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      // Not the protocol: V8's own traces (--trace-gc, --trace-gc-nvp) print to stdout; pass them on.
      process.stderr.write(`server stdout: ${line}\n`);
      return;
    }
    if (msg.id !== undefined && waiters.has(msg.id)) {
      waiters.get(msg.id)(msg);
      waiters.delete(msg.id);
    } else if (msg.method) for (const l of listeners) l(msg);
  });
  let nextId = 1;
  return {
    pid: child.pid,
    onNotification: (fn) => listeners.push(fn),
    request(method, params) {
      const id = nextId++;
      const answer = new Promise((resolve) => waiters.set(id, resolve));
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
      return answer;
    },
    notify(method, params) {
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })}\n`);
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/** utime + stime of a process, in seconds (clock ticks are 100/s on Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function checkFile(file) {
  const ids = new Set();
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    lines++;
    const item = JSON.parse(line);
    // Ids are unique per user (a mailbox), not across users.
    ids.add(`${item.user.id}/${item.id}`);
  }
  return { lines, unique: ids.size };
}

/** One export of every interaction of a tenant at `scale`, checked line by line; the server's figures. */
async function runExport(scale) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
  const emulator = await startEmulator(dir, scale);
  const env = { HOME: dir, M365_COPILOT_MCP_STATE_DIR: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" to profile the server alone (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (process.env.BENCH_EXPORT_MEMORY) nodeArgs.push('--require', memorySampler);
  // The export directory may not hold the state directory (the server refuses that at start).
  const exportDir = join(dir, 'out');
  mkdirSync(exportDir);
  const server = startServer(nodeArgs, ['--emulator', emulator.file, '--log-level', 'warn', '--export-dir', exportDir], env);
  try {
    const init = await server.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench-export', version: '0' } });
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    server.notify('notifications/initialized');
    const before = procStatus(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    let notifications = 0;
    server.onNotification((m) => m.method === 'notifications/progress' && notifications++);
    const outputFile = join(exportDir, 'export.jsonl');
    const userIds = emulator.descriptor.users.map((u) => u.id);
    const t = performance.now();
    const answer = await server.request('tools/call', { name: 'copilot_export_interactions_to_file', arguments: { userIds, outputFile }, _meta: { progressToken: 'export' } });
    const seconds = (performance.now() - t) / 1000;
    const after = procStatus(server.pid);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const result = answer.result;
    if (!result || result.isError) throw new Error(`export failed: ${JSON.stringify(answer.error ?? result?.content)}`);
    const { file } = result.structuredContent;
    const check = await checkFile(outputFile);
    if (!file.complete || check.lines !== file.interactions || check.unique !== check.lines) throw new Error(`export file is wrong: ${JSON.stringify({ file, check })}`);
    return { file, users: userIds.length, seconds, cpu, before, after, notifications, bytes: statSync(outputFile).size, scale };
  } finally {
    await server.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark; `record(name, value, unit, extra)` receives each metric. */
export async function exportBench(record) {
  const small = await runExport(SMALL_SCALE);
  const big = await runExport(SCALE);
  if (big.file.interactions < BIG_RUN_MIN_INTERACTIONS) throw new Error(`the big run exported ${big.file.interactions} interactions, fewer than ${BIG_RUN_MIN_INTERACTIONS}: raise its scale`);
  const { file, seconds, cpu } = big;
  const extra = { interactions: file.interactions, users: big.users, pages: file.pages, seconds: Math.round(seconds * 10) / 10, scale: big.scale };
  record('export to JSONL: interactions per second (wall clock, rate limit included)', file.interactions / seconds, 'items/s', { ...extra, goal: EXPORT_GOALS.itemsPerSecond });
  record('export to JSONL: server peak RSS (VmHWM)', big.after.hwmMb, 'MB', { interactions: file.interactions, rssBeforeExportMb: Math.round(big.before.rssMb), goal: EXPORT_GOALS.peakRssMb });
  record('export to JSONL: server peak RSS (VmHWM), small run', small.after.hwmMb, 'MB', { interactions: small.file.interactions, scale: small.scale, rssBeforeExportMb: Math.round(small.before.rssMb), goal: EXPORT_GOALS.peakRssMb });
  // 1.0 when memory does not depend on how many interactions pass through.
  record('export to JSONL: peak RSS, big run / small run', big.after.hwmMb / small.after.hwmMb, 'x', { bigInteractions: file.interactions, smallInteractions: small.file.interactions });
  record('export to JSONL: server CPU per 1,000 interactions', (cpu * 1000 * 1000) / file.interactions, 'ms', { cpuSeconds: Math.round(cpu * 100) / 100, capacityItemsPerCpuSecond: Math.round(file.interactions / cpu) });
  record('export to JSONL: file bytes per interaction', big.bytes / file.interactions, 'bytes', { progressNotifications: big.notifications });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = [];
  await exportBench((name, value, unit, extra = {}) => {
    results.push({ name, value: Math.round(value * 100) / 100, unit, ...extra });
    process.stderr.write(`${name}: ${Math.round(value * 100) / 100} ${unit} ${JSON.stringify(extra)}\n`);
  });
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), node: process.version, command: 'node bench/exportBench.js', results }, null, 2)}\n`);
}
