// HTTP mode benchmark (issue 4): tool-call overhead over a direct emulator call, p50/p99, server CPU per
// call, and throughput at concurrency 1, 16 and 64 for copilot_status and copilot_retrieve, with the
// emulator adding no latency. Beside ours, interleaved (ours, bare SDK, raw, ours, …), the two reference
// servers of bench/reference/ (issue 17: the floor) doing the same Graph request per call. Run alone with
// `node bench/httpBench.js` (prints JSON) or through `npm run bench`, which records its metrics.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { referenceServers } from './reference/build.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// BENCH_CLI: measure another build of the CLI (e.g. an unbundled tsc output, for --cpu-prof), as bench/run.js.
const cli = process.env.BENCH_CLI ?? join(root, 'dist', 'cli.js');

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
async function startLineProcess(args, env, nodeArgs = [], script = cli) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
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

/** The measured servers, in the order every interleaved round visits them. */
export const HTTP_SERVERS = ['ours', 'bareSdk', 'raw'];
const QUERY = 'How to setup corporate VPN?';
/** What each measured tool is called with: copilot_status is one GET /me, copilot_retrieve over one source one POST /copilot/retrieval. */
export const HTTP_TOOLS = {
  status: { name: 'copilot_status', arguments: {} },
  retrieval: { name: 'copilot_retrieve', arguments: { query: QUERY, sources: ['sharePoint'] } },
};

/** `scripts`: the reference servers' scripts (bench/reference/build.js); built here when not given. */
export async function httpBench({ calls = 400, rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 2), scripts, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const built = scripts ? undefined : await referenceServers();
  const reference = scripts ?? built;
  const dir = mkdtempSync(join(tmpdir(), 'm365-bench-http-'));
  const env = { PATH: process.env.PATH, HOME: dir, M365_COPILOT_MCP_STATE_DIR: dir, M365_COPILOT_MCP_LOG_LEVEL: 'warn' };
  const emulator = await startLineProcess(['emulator', '--retrieval-budget', '1000000', '--users', '50'], env);
  const descriptor = emulator.info;
  const file = join(dir, 'emulator.json');
  writeFileSync(file, JSON.stringify(descriptor));
  const started = [];
  const control = (path, body) => fetch(`${descriptor.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-emulator-control-key': descriptor.controlKey }, body: JSON.stringify(body) });
  const mint = async (opts) => (await (await control('/tokens/mint', opts)).json()).access_token;
  try {
    // The server's own retrieval budget (200/user/hour, as Graph) would stop the retrieval runs: lifted, as the emulator's.
    const server = await startLineProcess(
      ['serve', '--http', '--port', '0', '--emulator', file, '--audit-file', 'off', '--log-level', 'warn', '--retrieval-budget-per-hour', '1000000'],
      env,
      (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
    );
    started.push(server);
    const bearer = await mint({ user: descriptor.demoUser });
    // One Graph token for the direct calls and, fixed, for both reference servers (they have no sign-in).
    const graphToken = await mint({ user: descriptor.demoUser, audience: descriptor.graphResource, scope: 'User.Read Files.Read.All Sites.Read.All' });
    const refEnv = { PATH: process.env.PATH, HOME: dir, BENCH_GRAPH_BASE_URL: descriptor.graphBaseUrl, BENCH_GRAPH_TOKEN: graphToken };
    const servers = { ours: { url: server.info.url, child: server.child } };
    for (const key of ['bareSdk', 'raw']) {
      const ref = await startLineProcess(['--http'], refEnv, [], reference[key]);
      started.push(ref);
      servers[key] = { url: ref.info.url, child: ref.child };
    }
    // The same request bytes to every server (the references ignore the bearer).
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${bearer}`,
      'mcp-protocol-version': '2025-11-25',
    };
    let id = 0;
    const viaTool = async (key, tool = 'status') => {
      const res = await fetch(servers[key].url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: HTTP_TOOLS[tool] }) });
      const text = await res.text();
      if (res.status !== 200 || text.includes('"isError":true') || !text.includes('"result"')) throw new Error(`${key} ${tool} call failed: ${res.status} ${text.slice(0, 300)}`);
    };
    // copilot_status: one Graph request (GET /me), so the difference to a direct GET /me is the server's overhead.
    const direct = async () => {
      const res = await fetch(`${descriptor.graphBaseUrl}/v1.0/me?$select=id,displayName,userPrincipalName`, { headers: { authorization: `Bearer ${graphToken}` } });
      await res.text();
      if (res.status !== 200) throw new Error(`direct call failed: ${res.status}`);
    };
    const timed = async (fn) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    const perServer = (make) => Object.fromEntries(HTTP_SERVERS.map((k) => [k, make(k)]));
    // Warm-up: JIT, the OBO exchange, keep-alive sockets.
    for (let i = 0; i < 50; i++) for (const key of HTTP_SERVERS) await viaTool(key), await viaTool(key, 'retrieval'), await direct();

    // Server CPU per call, one call at a time: unlike latency, barely moved by other load on a shared
    // machine. 1,000 calls per server in interleaved blocks of 250.
    const cpu = perServer(() => ({ ms: 0, calls: 0 }));
    for (let block = 0; block < 4; block++) {
      for (const key of HTTP_SERVERS) {
        const before = cpuMs(servers[key].child.pid);
        for (let i = 0; i < 250; i++) await viaTool(key);
        cpu[key].ms += cpuMs(servers[key].child.pid) - before;
        cpu[key].calls += 250;
      }
    }
    const serverCpuPerCallMs = perServer((k) => cpu[k].ms / cpu[k].calls);
    if (process.env.BENCH_DEBUG) log(readFileSync(`/proc/${server.child.pid}/status`, 'utf8').split('\n').filter((l) => /ctxt|VmRSS/.test(l)).join(' '));
    log(`HTTP server CPU per tool call: ${HTTP_SERVERS.map((k) => `${k} ${serverCpuPerCallMs[k].toFixed(3)} ms`).join(', ')}`);

    // Overhead: every tool call followed by a direct GET /me, servers interleaved call by call.
    const tool = perServer(() => []);
    const raw = perServer(() => []);
    for (let i = 0; i < calls; i++) {
      for (const key of HTTP_SERVERS) {
        tool[key].push(await timed(() => viaTool(key)));
        raw[key].push(await timed(direct));
      }
    }
    const overheads = perServer((k) => ({
      p50: median(tool[k]) - median(raw[k]),
      p99: percentile(tool[k], 99) - percentile(raw[k], 99),
      toolP50: median(tool[k]),
      directP50: median(raw[k]),
      toolP99: percentile(tool[k], 99),
      directP99: percentile(raw[k], 99),
    }));
    log(`HTTP overhead ${HTTP_SERVERS.map((k) => `${k} p50 ${overheads[k].p50.toFixed(2)} ms, p99 ${overheads[k].p99.toFixed(2)} ms`).join('; ')}`);

    // Throughput (and server CPU per call under that load) per tool and concurrency: `rounds` rounds,
    // each running every server in turn; calls and seconds added up over the rounds.
    const throughputs = { status: perServer(() => ({})), retrieval: perServer(() => ({})) };
    const cpuUnderLoad = { status: perServer(() => ({})), retrieval: perServer(() => ({})) };
    for (const concurrency of [1, 16, 64]) {
      const total = Math.max(200, concurrency * 40);
      for (const toolName of ['status', 'retrieval']) {
        const sums = perServer(() => ({ calls: 0, seconds: 0, cpuMs: 0 }));
        for (let round = 0; round < rounds; round++) {
          for (const key of HTTP_SERVERS) {
            let next = 0;
            const before = cpuMs(servers[key].child.pid);
            const t0 = performance.now();
            await Promise.all(
              Array.from({ length: concurrency }, async () => {
                while (next++ < total) await viaTool(key, toolName);
              }),
            );
            sums[key].seconds += (performance.now() - t0) / 1000;
            sums[key].cpuMs += cpuMs(servers[key].child.pid) - before;
            sums[key].calls += total;
          }
        }
        for (const key of HTTP_SERVERS) {
          throughputs[toolName][key][concurrency] = sums[key].calls / sums[key].seconds;
          cpuUnderLoad[toolName][key][concurrency] = sums[key].cpuMs / sums[key].calls;
        }
        log(`HTTP ${toolName} at concurrency ${concurrency}: ${HTTP_SERVERS.map((k) => `${k} ${throughputs[toolName][k][concurrency].toFixed(0)} calls/s, ${cpuUnderLoad[toolName][k][concurrency].toFixed(2)} ms CPU/call`).join('; ')}`);
      }
    }

    // 1,000 concurrent calls by 50 users (20 each), every token fresh to the server: on-behalf-of
    // exchanges at the identity provider, from the emulator's counters. Goal: one per user and scope set, so
    // exactly 100: copilot_status asks for two (User.Read for /me, ExternalConnection.Read.All for the
    // connector listing), and none of a user's 20 concurrent calls may add another. Ours only.
    const users = descriptor.users.slice(0, 50);
    const bearers = await Promise.all(users.map((u) => mint({ user: u.upn })));
    await fetch(`${descriptor.controlUrl}/stats/reset`, { method: 'POST', headers: { 'x-emulator-control-key': descriptor.controlKey } });
    const callAs = async (token) => {
      const res = await fetch(servers.ours.url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: HTTP_TOOLS.status }) });
      await res.text();
    };
    await Promise.all(Array.from({ length: 1000 }, (_, i) => callAs(bearers[i % bearers.length])));
    const stats = await (await fetch(`${descriptor.controlUrl}/stats`, { headers: { 'x-emulator-control-key': descriptor.controlKey } })).json();
    const oboRequests = stats.tokenRequests.byGrant.on_behalf_of ?? 0;
    log(`on-behalf-of token requests for 1,000 concurrent calls by ${users.length} users: ${oboRequests}`);
    return {
      calls,
      rounds,
      // Ours, as before; the reference servers' figures beside them under `references`.
      overhead: overheads.ours,
      throughput: throughputs.status.ours,
      serverCpuPerCallMs: serverCpuPerCallMs.ours,
      servers: { overhead: overheads, serverCpuPerCallMs, throughput: throughputs, cpuPerCallUnderLoadMs: cpuUnderLoad },
      obo: { users: users.length, calls: 1000, tokenRequests: oboRequests },
    };
  } finally {
    for (const s of started.reverse()) await s.stop();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
    built?.remove();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  httpBench().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
}
