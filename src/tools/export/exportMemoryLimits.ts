import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString, type HeapSpaceInfo } from 'node:v8';
import { settledGrowthFactor } from '../../util/youngGeneration.js';

/*
 * Issue 17: a long export's peak RSS must not depend on how many interactions pass through (≤ 100 MB).
 * Two V8 behaviours made it do so (bench/exportBench.js, measured by the helper branch exportmem):
 * - The young generation doubles (1 MB semi-spaces up to 16 MB) while pages are in flight, and every
 *   page of it stays resident: 32 MB of the peak. Its maximum is fixed when the heap is created, but
 *   the growth factor is read at each growth: once a semi-space reaches YOUNG_SEMI_SPACE_MB, growth
 *   stops (factor 1). Small run 110 -> 85 MB.
 * - V8's own old-generation limit let promoted garbage pile up for the whole run, or not, from run to
 *   run (big-run peaks 92 to 131 MB on one build). So once the old generation holds OLD_HEADROOM_MB
 *   more than the last full GC left, the next GC is a full one (--gc-global, read at each GC, turned
 *   off again by the full GC's report). Relative to what is live: a server that really holds more is
 *   not collected in a loop. 12 MB at first; 4 MB since the stdio server's young generation stays
 *   small (two runs each, Node 20: big-run peak 85.4 -> 79.8 MB, small 79.3 -> 76.4 MB; Node 24:
 *   107.5 -> 102.9 MB; CPU per 1,000 interactions +9 %, where Graph's rate limit, not CPU, bounds it);
 *   2 MB since MSAL's bundling left Node 22+ ~1 MB from the line (A/B of built CLIs, 100k run: Node 22
 *   99.0/98.5 -> 97.3/97.8 MB, Node 24 99.3 -> 95.9, Node 20 78.1 -> 76.9; CPU per 1,000 +5-14 %).
 * Both cost CPU (more scavenges: +7–11 % per 1,000 interactions), and over HTTP under load they cost
 * far more (a full run with them process-wide: copilot_retrieve's CPU per call 1.9 -> 5.1 ms), so they
 * hold only while a file export runs, and the process's own settings come back when the last one ends.
 * The stdio server keeps its young generation at 1 MB semi-spaces anyway (src/util/youngGeneration.ts:
 * loading the server had grown them to 16 MB before any export began); the cap here is for a server
 * whose young generation grows (HTTP), and can only stop growth, not undo it.
 * V8 documents no guarantee for flags changed after start; both were checked by measurement.
 */
const YOUNG_SEMI_SPACE_MB = 4;
const OLD_HEADROOM_MB = 2;
const MB = 1_048_576;

let running = 0;
let observer: PerformanceObserver | undefined;

/** Runs `work` with the export's memory limits on (nested and concurrent exports share them). */
export async function withExportMemoryLimits<T>(work: () => Promise<T>): Promise<T> {
  if (running++ === 0) observer = startLimits();
  try {
    return await work();
  } finally {
    if (--running === 0) stopLimits();
  }
}

let fullAsked = false;
let youngCapped = false;

function startLimits(): PerformanceObserver {
  let liveAfterFull = Number.POSITIVE_INFINITY;
  const askFull = () => {
    fullAsked = true;
    setFlagsFromString('--gc-global');
  };
  youngCapped = false;
  const watch = new PerformanceObserver((list) => {
    const spaces = getHeapSpaceStatistics();
    if (list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      liveAfterFull = oldUsed(spaces);
      if (fullAsked) {
        fullAsked = false;
        setFlagsFromString('--no-gc-global');
      }
    }
    if (!youngCapped && (spaces.find((s) => s.space_name === 'new_space')?.space_size ?? 0) >= YOUNG_SEMI_SPACE_MB * MB) {
      youngCapped = true;
      setFlagsFromString('--semi-space-growth-factor=1');
    }
    // The budget's base is what a full GC leaves, so the export's first GC asks for one. (It waited for
    // the young cap once; with the stdio server's young generation never reaching it, a run went 17 s
    // without a full GC, heap 20 -> 44 MB, peak 105.6 MB.)
    if (!fullAsked && liveAfterFull === Number.POSITIVE_INFINITY) askFull();
    if (!fullAsked && oldUsed(spaces) > liveAfterFull + OLD_HEADROOM_MB * MB) askFull();
  });
  watch.observe({ entryTypes: ['gc'] });
  return watch;
}

function stopLimits(): void {
  observer?.disconnect();
  observer = undefined;
  if (youngCapped) setFlagsFromString(`--semi-space-growth-factor=${settledGrowthFactor()}`);
  if (fullAsked) setFlagsFromString('--no-gc-global');
  youngCapped = false;
  fullAsked = false;
}

function oldUsed(spaces: HeapSpaceInfo[]): number {
  return spaces.reduce((sum, s) => (s.space_name.startsWith('new_') ? sum : sum + s.space_used_size), 0);
}
