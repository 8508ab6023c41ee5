// Preload for memory investigations (`node --require bench/memorySampler.cjs dist/cli.js …`, or
// BENCH_EXPORT_MEMORY=1 for the export bench): every 200 ms, one line on stderr with
// process.memoryUsage() in MB, so RSS can be split into JS heap, external/Buffers and the rest
// (loaded code, the allocator) without an inspector attached. It writes to stderr only: stdout is
// the MCP protocol.
'use strict';
const INTERVAL_MS = Number(process.env.MEMORY_SAMPLER_MS ?? 200);
const mb = (n) => Math.round((n / 1048576) * 10) / 10;
const started = Date.now();
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
function sample(tag) {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  process.stderr.write(
    `memsample ${JSON.stringify({ tag, t: Date.now() - started, rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) })}\n`,
  );
}
// MEMORY_SAMPLER_SNAPSHOT_MB=N: one heap snapshot (into the working directory) the first time heapUsed passes N MB.
const snapshotAtMb = Number(process.env.MEMORY_SAMPLER_SNAPSHOT_MB ?? 0);
let snapshotTaken = false;
setInterval(() => {
  sample('tick');
  if (snapshotAtMb && !snapshotTaken && process.memoryUsage().heapUsed > snapshotAtMb * 1048576) {
    snapshotTaken = true;
    process.stderr.write(`memsample snapshot ${require('node:v8').writeHeapSnapshot()}\n`);
  }
}, INTERVAL_MS).unref();
/** Resident memory by mapping (file-backed code vs. the malloc heap vs. anonymous, e.g. V8's pages), from /proc. */
function residentByMapping() {
  const out = {};
  let name = '';
  for (const line of require('node:fs').readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) name = head[1] ? (head[1].startsWith('/') ? `file:${require('node:path').basename(head[1])}` : head[1]) : 'anonymous';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[name] = (out[name] ?? 0) + Number(rss[1]);
  }
  return Object.fromEntries(Object.entries(out).filter(([, kb]) => kb >= 512).map(([k, kb]) => [k, mb(kb * 1024)]));
}
process.on('exit', () => {
  sample('exit');
  try {
    process.stderr.write(`memsample ${JSON.stringify({ tag: 'mappings', ...residentByMapping() })}\n`);
  } catch {
    // not Linux
  }
  process.stderr.write(`memsample ${JSON.stringify({ tag: 'peak', ...Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, mb(v)])) })}\n`);
});
