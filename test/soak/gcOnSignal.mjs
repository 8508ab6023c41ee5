// Test-only preload for the server under soak (NODE_OPTIONS="--expose-gc --import=<this file>"):
// SIGUSR2 runs a full garbage collection, so memory is read settled instead of somewhere on V8's
// sawtooth. Never writes to stdout (the protocol); with SOAK_MEMORY_LOG set, appends the settled
// process.memoryUsage() there as one JSON line, to tell a JS-heap leak from native growth.
import { appendFileSync } from 'node:fs';

const log = process.env.SOAK_MEMORY_LOG;
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  if (log) appendFileSync(log, `${JSON.stringify(process.memoryUsage())}\n`);
});
