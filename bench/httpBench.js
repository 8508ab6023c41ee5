// HTTP mode benchmark (issue 4): tool-call overhead over a direct emulator call, p50/p99, and
// throughput at concurrency 1, 16 and 64, with the emulator adding no latency. Run alone with
// `node bench/httpBench.js` (prints JSON) or through `npm run bench`, which records its metrics.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

function median(xs) {
  return percentile(xs, 50);
}
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Starts a process that prints one JSON line on stdout when ready. */
async function startLineProcess(args, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line in 30 s: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, info: JSON.parse(line), stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}

export async function httpBench({ calls = 400, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'm365-bench-http-'));
  const env = { PATH: process.env.PATH, HOME: dir, M365_COPILOT_MCP_STATE_DIR: dir, M365_COPILOT_MCP_LOG_LEVEL: 'warn' };
  const emulator = await startLineProcess(['emulator', '--retrieval-budget', '1000000', '--users', '50'], env);
  const descriptor = emulator.info;
  const file = join(dir, 'emulator.json');
  writeFileSync(file, JSON.stringify(descriptor));
  const server = await startLineProcess(['serve', '--http', '--port', '0', '--emulator', file, '--audit-file', 'off', '--log-level', 'warn'], env, (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const url = server.info.url;
  const control = (path, body) => fetch(`${descriptor.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const mint = async (opts) => (await (await control('/tokens/mint', opts)).json()).access_token;
  try {
    const bearer = await mint({ user: descriptor.demoUser });
    const graphToken = await mint({ user: descriptor.demoUser, audience: descriptor.graphResource, scope: 'User.Read' });
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${bearer}`,
      'mcp-protocol-version': '2025-11-25',
    };
    let id = 0;
    // copilot_status: one Graph request (GET /me), so the difference to a direct GET /me is our overhead.
    const viaTool = async () => {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'copilot_status', arguments: {} } }) });
      const text = await res.text();
      if (res.status !== 200 || text.includes('"isError":true')) throw new Error(`tool call failed: ${res.status} ${text.slice(0, 300)}`);
    };
    const direct = async () => {
      const res = await fetch(`${descriptor.graphBaseUrl}/v1.0/me`, { headers: { authorization: `Bearer ${graphToken}` } });
      await res.text();
      if (res.status !== 200) throw new Error(`direct call failed: ${res.status}`);
    };
    const timed = async (fn) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    // Warm-up: JIT, the OBO exchange, keep-alive sockets.
    for (let i = 0; i < 50; i++) await viaTool(), await direct();
    // Server CPU per call: unlike latency, barely moved by other load on a shared machine.
    const cpuBefore = cpuMs(server.child.pid);
    for (let i = 0; i < 1000; i++) await viaTool();
    const serverCpuPerCallMs = (cpuMs(server.child.pid) - cpuBefore) / 1000;
    if (process.env.BENCH_DEBUG) log(readFileSync(`/proc/${server.child.pid}/status`, 'utf8').split('\n').filter((l) => /ctxt|VmRSS/.test(l)).join(' '));
    log(`HTTP server CPU per tool call: ${serverCpuPerCallMs.toFixed(3)} ms`);
    const tool = [];
    const raw = [];
    for (let i = 0; i < calls; i++) {
      tool.push(await timed(viaTool));
      raw.push(await timed(direct));
    }
    const overhead = { p50: median(tool) - median(raw), p99: percentile(tool, 99) - percentile(raw, 99), toolP50: median(tool), directP50: median(raw), toolP99: percentile(tool, 99), directP99: percentile(raw, 99) };
    log(`HTTP overhead p50 ${overhead.p50.toFixed(2)} ms, p99 ${overhead.p99.toFixed(2)} ms`);
    const throughput = {};
    for (const concurrency of [1, 16, 64]) {
      const total = Math.max(200, concurrency * 40);
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) await viaTool();
        }),
      );
      throughput[concurrency] = total / ((performance.now() - t0) / 1000);
      log(`HTTP throughput at concurrency ${concurrency}: ${throughput[concurrency].toFixed(0)} calls/s`);
    }
    // 1,000 concurrent calls by 50 users (20 each), every token fresh to the server: on-behalf-of
    // exchanges at the identity provider, from the emulator's counters. Goal: exactly 50.
    const users = descriptor.users.slice(0, 50);
    const bearers = await Promise.all(users.map((u) => mint({ user: u.upn })));
    await fetch(`${descriptor.controlUrl}/stats/reset`, { method: 'POST' });
    const callAs = async (token) => {
      const res = await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'copilot_status', arguments: {} } }) });
      await res.text();
    };
    await Promise.all(Array.from({ length: 1000 }, (_, i) => callAs(bearers[i % bearers.length])));
    const stats = await (await fetch(`${descriptor.controlUrl}/stats`)).json();
    const oboRequests = stats.tokenRequests.byGrant.on_behalf_of ?? 0;
    log(`on-behalf-of token requests for 1,000 concurrent calls by ${users.length} users: ${oboRequests}`);
    return { calls, overhead, throughput, serverCpuPerCallMs, obo: { users: users.length, calls: 1000, tokenRequests: oboRequests } };
  } finally {
    await server.stop();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  httpBench().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
}
