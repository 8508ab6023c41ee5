// Preloaded into a server under test (NODE_OPTIONS=--require …), for test/e2e/stdioMemory.test.ts.
// - Records the first touch of the web globals that load Node's bundled undici (Headers, Request,
//   Response, FormData, File: lazy getters; fetch: a plain function, wrapped), with a stack.
// - On SIGUSR2 allocates a burst of objects that all survive (what makes V8 grow its young
//   generation, by its growth factor), then prints one line on stderr: how large new_space got, what
//   was touched, and whether Node's bundled undici was loaded at all (on Node 22+ also by an ES import
//   of node:http, without any global being touched).
'use strict';
const v8 = require('node:v8');
const touched = [];
const note = (name) => touched.push({ name, stack: new Error().stack.split('\n').slice(3, 8).join('\n') });
// On Node 22+ merely reading these globals' descriptors loads undici (they are no longer plain lazy
// getters), so the stack-recording wrap is Node 20's; there, and on every line, `undiciLoaded` says
// whether anything loaded undici, which is what a touch of any of them costs.
const wrappable = Number(process.versions.node.split('.')[0]) < 22;
for (const name of wrappable ? ['Headers', 'Request', 'Response', 'FormData', 'File'] : []) {
  const d = Object.getOwnPropertyDescriptor(globalThis, name);
  if (!d || !d.get) continue;
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: d.enumerable,
    get() {
      note(name);
      const value = d.get.call(this);
      Object.defineProperty(globalThis, name, { configurable: true, enumerable: d.enumerable, writable: true, value });
      return value;
    },
    set(value) {
      Object.defineProperty(globalThis, name, { configurable: true, enumerable: d.enumerable, writable: true, value });
    },
  });
}
const realFetch = globalThis.fetch;
globalThis.fetch = function fetch(...args) {
  note('fetch');
  return realFetch.apply(this, args);
};
process.on('SIGUSR2', () => {
  // The burst measures the semi-spaces' growth policy (--semi-space-growth-factor) alone. V8 13+
  // (Node 24 and 26) also adds young-generation pages beyond capacity while a full GC is marking
  // incrementally, "to avoid prematurely finalizing the incremental GC. Once the full GC is over, new
  // space will be empty and capacity will be reset" (v8 src/heap/heap.cc,
  // Heap::ShouldExpandYoungGenerationOnSlowAllocation); a burst this size often starts such marking, so
  // with it on, new_space read 2-7.5 MB on those lines whatever the growth factor (7 of 8 runs), and
  // 2 MB in 8 of 8 without it. Marking stays atomic for the burst only; the process ends after the probe.
  v8.setFlagsFromString('--no-incremental-marking');
  const kept = [];
  for (let i = 0; i < 3_000_000; i++) kept.push({ i });
  v8.setFlagsFromString('--incremental-marking');
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  const undiciLoaded = process.moduleLoadList.includes('NativeModule internal/deps/undici/undici');
  process.stderr.write(`memory-probe ${JSON.stringify({ newSpaceMb: newSpace.space_size / 1048576, kept: kept.length, touched, undiciLoaded })}\n`);
});
