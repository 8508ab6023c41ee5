// `npm run bench`: measures the built server on this machine and writes bench/results/latest.{json,md}.
// One run, medians and percentiles; the machine is shared, so read ratios, not absolutes.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { INIT, median, percentile, spawnProbe } from './stdioProbe.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const runs = Number(process.env.BENCH_RUNS ?? 7);
const calls = Number(process.env.BENCH_CALLS ?? 300);
const results = [];
const record = (name, value, unit, extra = {}) => {
  results.push({ name, value: Math.round(value * 100) / 100, unit, ...extra });
  process.stderr.write(`${name}: ${Math.round(value * 100) / 100} ${unit}\n`);
};

async function coldStart() {
  const init = [];
  const list = [];
  let listBytes = 0;
  for (let i = 0; i < runs; i++) {
    const probe = spawnProbe(process.execPath, [cli]);
    const initP = probe.request('initialize', INIT);
    probe.notify('notifications/initialized');
    const listP = probe.request('tools/list');
    const a = await initP;
    const b = await listP;
    init.push(a.at - probe.started);
    list.push(b.at - probe.started);
    listBytes = b.bytes;
    await probe.close();
  }
  record('cold start: spawn → initialize answer (median)', median(init), 'ms', { runs });
  record('cold start: spawn → tools/list answer (median)', median(list), 'ms', { runs });
  record('tools/list size (default tools, with output schemas)', listBytes, 'bytes');
}

async function callOverhead() {
  const { startEmulator } = await import('../dist/emulator/index.js');
  const { endpointsFromEmulator } = await import('../dist/config/endpoints.js');
  const { MsalBroker } = await import('../dist/auth/msalBroker.js');
  const { createLogger } = await import('../dist/log.js');
  const emulator = await startEmulator({ autoApproveDemoUser: true, retrievalBudgetPerHour: 1_000_000 });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    const file = join(dir, 'emulator.json');
    writeFileSync(file, JSON.stringify(emulator.descriptor));
    const endpoints = await endpointsFromEmulator(emulator.descriptor);
    // A delegated token for the direct calls, through the same MSAL flow the server uses.
    const broker = new MsalBroker({
      identity: { authority: endpoints.authority, knownAuthorities: endpoints.knownAuthorities, graphResource: endpoints.graphResource, extraCaPem: endpoints.extraCaPem, onlyExtraCa: true },
      publicClientId: endpoints.publicClientId,
      baseScopes: ['User.Read'],
      signInWaitMs: 10_000,
      log: createLogger('silent'),
    });
    const { accessToken } = await broker.getToken({ flow: 'delegated', scopes: ['Files.Read.All', 'Sites.Read.All'] });
    const query = 'How to setup corporate VPN?';
    const body = JSON.stringify({ queryString: query, dataSource: 'sharePoint', resourceMetadata: ['title'] });
    const direct = async () => {
      const t = performance.now();
      const res = await fetch(`${endpoints.graphBaseUrl}/v1.0/copilot/retrieval`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body });
      const text = await res.text();
      return { ms: performance.now() - t, bytes: Buffer.byteLength(text) };
    };

    const probe = spawnProbe(process.execPath, [cli, '--emulator', file, '--log-level', 'warn']);
    await probe.request('initialize', INIT);
    probe.notify('notifications/initialized');
    const args = { name: 'copilot_retrieve', arguments: { query, sources: ['sharePoint'] } };
    const warm = await probe.request('tools/call', args); // signs in
    if (warm.msg.result?.isError) throw new Error(`bench tool call failed: ${JSON.stringify(warm.msg.result.content)}`);
    for (let i = 0; i < 20; i++) {
      await probe.request('tools/call', args);
      await direct();
    }
    const viaTool = [];
    const viaDirect = [];
    let rawBytes = 0;
    let structuredBytes = 0;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      const r = await probe.request('tools/call', args);
      viaTool.push(performance.now() - t);
      structuredBytes = Buffer.byteLength(JSON.stringify(r.msg.result.structuredContent.hits));
      const d = await direct();
      viaDirect.push(d.ms);
      rawBytes = d.bytes;
    }
    await probe.close();
    const p50 = median(viaTool) - median(viaDirect);
    const p99 = percentile(viaTool, 99) - percentile(viaDirect, 99);
    record('stdio tool-call overhead over a direct emulator call, p50', p50, 'ms', { calls, toolP50: median(viaTool), directP50: median(viaDirect) });
    record('stdio tool-call overhead over a direct emulator call, p99', p99, 'ms', { calls, toolP99: percentile(viaTool, 99), directP99: percentile(viaDirect, 99) });
    record('retrieval answer bytes (structured hits) / raw Graph JSON bytes', structuredBytes / rawBytes, 'ratio', { structuredBytes, rawBytes });
  } finally {
    await emulator.close();
  }
}

async function tokenBroker() {
  const { startEmulator } = await import('../dist/emulator/index.js');
  const { endpointsFromEmulator } = await import('../dist/config/endpoints.js');
  const { MsalBroker } = await import('../dist/auth/msalBroker.js');
  const { createLogger } = await import('../dist/log.js');
  const emulator = await startEmulator({ deviceCodeIntervalSec: 1 });
  const control = (path, body) => fetch(`${emulator.descriptor.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    const endpoints = await endpointsFromEmulator(emulator.descriptor);
    const scopes = ['Files.Read.All', 'Sites.Read.All'];
    const newBroker = () =>
      new MsalBroker({
        identity: { authority: endpoints.authority, knownAuthorities: endpoints.knownAuthorities, graphResource: endpoints.graphResource, extraCaPem: endpoints.extraCaPem, onlyExtraCa: true },
        publicClientId: endpoints.publicClientId,
        baseScopes: ['User.Read'],
        signInWaitMs: 10_000,
        log: createLogger('silent'),
      });
    const users = emulator.descriptor.users.map((u) => u.upn);
    const signedIn = async (upn) => {
      const broker = newBroker();
      await broker.signIn('device-code', scopes, { onPrompt: (p) => void control('/devicecode/approve', { userCode: p.userCode, upn }), openBrowser: async () => {} });
      return broker;
    };

    // Cached path: a valid token in MSAL's cache, asked for again and again.
    const one = await signedIn(users[0]);
    await one.getToken({ flow: 'delegated', scopes });
    const n = 10_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) await one.getToken({ flow: 'delegated', scopes });
    record('token broker: cached-token path cost per call', ((performance.now() - t) * 1000) / n, 'µs', { calls: n });

    for (const accounts of [1, 10]) {
      const brokers = [];
      for (const upn of users.slice(0, accounts)) brokers.push(await signedIn(upn));
      // Make every cached access token stale, so each account must refresh once.
      await control('/tokens/lifetime', { seconds: 1 });
      await Promise.all(brokers.map((b) => b.getToken({ flow: 'delegated', scopes, forceRefresh: true })));
      await new Promise((r) => setTimeout(r, 1200));
      await fetch(`${emulator.descriptor.controlUrl}/stats/reset`, { method: 'POST' });
      await Promise.all(Array.from({ length: 1000 }, (_, i) => brokers[i % accounts].getToken({ flow: 'delegated', scopes })));
      const stats = emulator.stats();
      record(`token broker: token requests for 1,000 concurrent calls by ${accounts} account(s)`, stats.tokenRequests.total, 'requests', { goal: accounts });
      await control('/tokens/lifetime', { seconds: 3600 });
    }
  } finally {
    await emulator.close();
  }
}

await coldStart();
await callOverhead();
await tokenBroker();

const out = join(root, 'bench', 'results');
writeFileSync(join(out, 'latest.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, command: 'npm run bench', results }, null, 2)}\n`);
const md = ['| Metric | Value | Unit |', '|---|---|---|', ...results.map((r) => `| ${r.name} | ${r.value} | ${r.unit} |`)].join('\n');
writeFileSync(join(out, 'latest.md'), `${md}\n`);
process.stdout.write(`${md}\n`);
process.exit(0);
