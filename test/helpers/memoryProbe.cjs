// Preloaded into a server under test (NODE_OPTIONS=--require …), for test/e2e/stdioMemory.test.ts.
// - Records the first touch of the web globals that load Node's bundled undici (Headers, Request,
//   Response, FormData, File: lazy getters; fetch: a plain function, wrapped), with a stack.
// - On SIGUSR2 allocates a burst of objects that all survive (what makes V8 grow its young
//   generation), then prints one line on stderr: how large new_space got and what was touched.
'use strict';
const v8 = require('node:v8');
const touched = [];
const note = (name) => touched.push({ name, stack: new Error().stack.split('\n').slice(3, 8).join('\n') });
for (const name of ['Headers', 'Request', 'Response', 'FormData', 'File']) {
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
  const kept = [];
  for (let i = 0; i < 3_000_000; i++) kept.push({ i });
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stderr.write(`memory-probe ${JSON.stringify({ newSpaceMb: newSpace.space_size / 1048576, kept: kept.length, touched })}\n`);
});
