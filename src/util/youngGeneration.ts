import { setFlagsFromString } from 'node:v8';

/*
 * How far V8's young generation may grow: its semi-spaces start at 1 MB and double each time enough of
 * it survives a scavenge, and once grown they stay resident for the life of the process. Loading the
 * server alone grows it from 2 to 16 MB (new_space in getHeapSpaceStatistics, sampled 50 ms apart:
 * 2 MB when the main chunk is imported, 16 MB 160 ms later), so a stdio export started right after
 * begins with memory it cannot give back (issue 17: peak RSS 100.2 MB at 100k interactions).
 * The CLI stub (scripts/bundle.js) therefore sets the growth factor to 1 before anything loads, and the
 * command decides here what it keeps:
 * - 'small' (the stdio server, one local user): 1 MB semi-spaces for good. Measured on the built CLI
 *   (bench/exportBench.js, BENCH_ONLY=callOverhead): export peak 100.9 -> 89.0 MB (small run 94.4 ->
 *   83.6), CPU per 1,000 interactions 52 -> 58 ms (more scavenges; Graph's rate limit, not CPU, bounds
 *   the export), stdio call overhead p50 1.53 -> 1.51 ms (unchanged).
 * - 'v8-default' (HTTP under load, the emulator, terminal commands): V8's own growth, which throughput
 *   under concurrency needs.
 * The factor is read at each growth; V8 documents no guarantee for flags changed after start, so both
 * were checked by measurement (node:v8 setFlagsFromString, Node 20-26). One growth it does not govern:
 * V8 13+ (Node 24, 26) adds pages beyond capacity while a full GC marks incrementally and drops them
 * when that GC ends (Heap::ShouldExpandYoungGenerationOnSlowAllocation); turning incremental marking off
 * left the export's peak unchanged (Node 24: 92.5-93.0 MB either way), so it stays V8's.
 */
export type YoungGenerationPolicy = 'small' | 'v8-default';

/** V8's default --semi-space-growth-factor (flag-definitions.h). */
const V8_DEFAULT_GROWTH_FACTOR = 2;
const GROWTH_FACTOR: Record<YoungGenerationPolicy, number> = { small: 1, 'v8-default': V8_DEFAULT_GROWTH_FACTOR };

/** Until a command settles it, what a process not started by the stub has (tests, the unbundled build). */
let settled = V8_DEFAULT_GROWTH_FACTOR;

/** The command's choice for the rest of the process. */
export function settleYoungGeneration(policy: YoungGenerationPolicy): void {
  settled = GROWTH_FACTOR[policy];
  setFlagsFromString(`--semi-space-growth-factor=${settled}`);
}

/** The growth factor the process settled on, for code that changes it for a while and restores it. */
export function settledGrowthFactor(): number {
  return settled;
}
