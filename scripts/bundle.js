// Second half of `npm run build` (after tsc): bundles the CLI into dist/cli.js plus lazily loaded
// chunks dist/cli.chunk-*.js. What ships and what the tests run is this bundle.
//
// Why: a cold start used to read ~200 module files (97 of them zod's) before the first answer; the
// bundle reads about a dozen. Dynamic imports stay dynamic (splitting), so MSAL, the emulator and the
// token cache are still loaded only when first needed.
//
// Rules this script keeps:
// - Only ESM packages are bundled (BUNDLED below): those on the startup path, and MSAL's ESM build and
//   the emulator in lazy chunks. Everything else stays an import from node_modules: CommonJS (ioredis,
//   jsonwebtoken) would turn into a `require` shim that fails in ESM output, and keytar is a native
//   optional module.
// - The emulator (the workspace package m365-copilot-emulator, built by tsc into its own dist/) is
//   bundled into lazy chunks with its node-forge: the published package neither ships the workspace
//   package nor depends on node-forge. node-forge is CommonJS, but its only require of anything
//   outside itself is of the crypto builtin, which builtinsForCommonJs below serves as an ES module.
// - Chunks live next to dist/cli.js, at the same depth as tsc's dist/runtime.js, so reads relative
//   to import.meta.url (runtime.ts reads ../package.json) resolve exactly as they do unbundled.
// - A module read by path at run time (a worker, a forked script) would need its own entry point here.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--outdir DIR` builds elsewhere (experiments, without touching the shared dist/).
const outdirArg = process.argv.indexOf('--outdir');
const dist = outdirArg === -1 ? join(root, 'dist') : process.argv[outdirArg + 1];
mkdirSync(dist, { recursive: true });

/**
 * Packages compiled into lazy chunks only: the emulator, and the CommonJS it alone needs; MSAL's ESM
 * build (@azure/msal-node imports msal-common's), so that its one `import http from 'http'` goes through
 * httpWithoutWebGetters below instead of Node's ES-module face of node:http. MSAL's own dependency
 * jsonwebtoken is CommonJS and stays an import from node_modules (a dependency of ours too, so it resolves).
 */
const LAZY_BUNDLED = ['m365-copilot-emulator', 'node-forge', '@azure/msal-node', '@azure/msal-common'];
/**
 * Packages compiled into the bundle: pure ESM, loaded at start (or sharing instances with those that are).
 * @opentelemetry/api is the one telemetry package on the startup path (its ESM build; a no-op until
 * the SDK, left in node_modules and imported lazily, registers through the API's global registry).
 */
const BUNDLED = ['zod', '@opentelemetry/api', '@modelcontextprotocol/server', '@modelcontextprotocol/core', '@modelcontextprotocol/node', 'hono', '@hono/node-server', ...LAZY_BUNDLED];

const packageName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

const externalUnlessBundled = {
  name: 'external-unless-bundled',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      if (BUNDLED.includes(packageName(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

// A bundled CommonJS module's `require('crypto')` would become esbuild's require shim, which throws in
// ESM output. Resolved here to a tiny ES module re-exporting the builtin, it becomes a plain import.
const builtinsForCommonJs = {
  name: 'builtins-for-commonjs',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'require-call' || !isBuiltin(args.path)) return undefined;
      return { path: args.path.replace(/^node:/, ''), namespace: 'builtin-as-esm' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-as-esm' }, (args) => ({ contents: `export * from 'node:${args.path}';`, loader: 'js' }));
  },
};

// On Node 22+ node:http's exports include getters (WebSocket, CloseEvent, MessageEvent) that load
// Node's bundled undici, and an ES-module import of node:http reads every export to build the module's
// face: any `import … from 'node:http'` then loads undici, http2, zlib and assert. Measured on Node 24
// (`import { Agent } from 'node:http'` alone): RSS 49.5 -> 58.4 MB; in the stdio server, where MSAL's
// loopback client imported it, ~2 MB of resident memory for code nothing runs (issue 17's export row).
// Every bundled import of node:http is served instead by a module over process.getBuiltinModule,
// which hands out Node's own object without reading its getters. The names are the data exports node:http
// has on Node 20 through 26; importing any other name (one of the getters) fails the build, not the run.
const HTTP_EXPORTS = ['METHODS', 'STATUS_CODES', 'Agent', 'ClientRequest', 'IncomingMessage', 'OutgoingMessage', 'Server', 'ServerResponse', 'createServer', 'get', 'request', 'validateHeaderName', 'validateHeaderValue', 'setMaxIdleHTTPParsers', '_connectionListener'];
const httpWithoutWebGetters = {
  name: 'http-without-web-getters',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http$/ }, (args) => (args.kind === 'import-statement' ? { path: 'http', namespace: 'http-without-web-getters' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'http-without-web-getters' }, () => ({
      contents: `const http = process.getBuiltinModule('node:http');\nexport default http;\nexport const { ${HTTP_EXPORTS.join(', ')} } = http;\n`,
      loader: 'js',
    }));
  },
};

for (const f of readdirSync(dist)) if (f.startsWith('cli.chunk-') || f === 'cli.js.map') rmSync(join(dist, f));

/** The CLI's bundle; dist/cli.js is the stub below that loads it. */
const MAIN = 'cli.chunk-main';
/** The fast start (src/transports/fastStart/front.ts), loaded by the stub before MAIN, and the answers it sends. */
const FRONT = 'cli.chunk-front';
// tsc has built dist/ already: the answers file's name is the front's own (one definition).
const VARIANTS_MODULE = new URL('../dist/transports/fastStart/variants.js', import.meta.url).href;
const { ANSWERS_FILE: ANSWERS } = await import(VARIANTS_MODULE);

const result = await build({
  // The fast start's front is an entry of its own: the stub runs it before the main bundle loads, and
  // the server's stdio transport takes its input over (one module instance: a chunk both share).
  entryPoints: { [MAIN]: join(root, 'src', 'cli.ts'), [FRONT]: join(root, 'src', 'transports', 'fastStart', 'front.ts') },
  outdir: dist,
  entryNames: '[name]',
  chunkNames: 'cli.chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: identifiers keep their names, so a stack trace in a bug report still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  plugins: [httpWithoutWebGetters, builtinsForCommonJs, externalUnlessBundled],
  metafile: true,
  logLevel: 'warning',
});

// Which sources went into which output file: lets tests check that startup does not load the lazy parts.
const outputs = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  outputs[file.split('/').pop()] = { bytes: out.bytes, inputs: Object.keys(out.inputs).sort(), imports: out.imports.map((i) => ({ path: i.path.split('/').pop(), kind: i.kind, ...(i.external ? { external: true, path: i.path } : {}) })) };
}

// The entry is a stub that turns on Node's module compile cache (22.1+; absent on 20, so feature-tested)
// and only then imports the bundle: static imports are all compiled before any code runs, so enabling
// the cache inside the bundle would come too late for the bundle itself and its eagerly loaded chunks.
// Node keeps the cache in its own folder under the OS temp dir; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const STUB = `#!/usr/bin/env node
import * as nodeModule from 'node:module';
import { setFlagsFromString } from 'node:v8';
try {
  nodeModule.enableCompileCache?.();
} catch {
  // An unwritable cache folder costs only the speed-up.
}
// V8's allocation-site pretenuring, once it starts during a long export (after ~7 s), allocates a
// request's objects straight into the old generation, and those dead objects keep fresh pages alive
// through every scavenge until a full GC: peak RSS then varied by 10–25 MB from run to run (issue 17,
// bench/exportBench.js with --trace-gc-nvp: promoted 104 -> 17 MB without it). Measured without it:
// export peak 124-126 MB vs 132-137 MB, CPU per 1,000 interactions lower; stdio and HTTP rows unchanged
// within noise. Set first, before the heap grows.
setFlagsFromString('--no-allocation-site-pretenuring');
// The young generation stays at its starting size while the server loads (loading alone grew it to
// 16 MB, resident for good); the command then settles how far it may grow: src/util/youngGeneration.ts.
setFlagsFromString('--semi-space-growth-factor=1');
// The export's young-generation cap and old-generation budget are src/tools/export/exportMemoryLimits.ts:
// on only while a file export runs (process-wide they cost HTTP under load far more than they saved).
// The fast start: initialize and tools/list answered from the build's rendered answers while
// the server loads (src/transports/fastStart/front.ts). A failure here costs only the speed-up.
try {
  const { startFastStart } = await import('./${FRONT}.js');
  await startFastStart(new URL('./${ANSWERS}', import.meta.url));
} catch (err) {
  process.stderr.write(\`m365-copilot-mcp: fast start skipped: \${err?.message ?? err}\\n\`);
}
await import('./${MAIN}.js');
`;
writeFileSync(join(dist, 'cli.js'), STUB);
chmodSync(join(dist, 'cli.js'), 0o755);
outputs['cli.js'] = {
  bytes: Buffer.byteLength(STUB),
  inputs: [],
  imports: [
    { path: `${FRONT}.js`, kind: 'dynamic-import' },
    { path: ANSWERS, kind: 'file-read' },
    { path: `${MAIN}.js`, kind: 'dynamic-import' },
  ],
};

// The fast start runs before the server loads: what the front's chunk loads statically must be our
// own zod-free modules only (no package at all), or it would pay for what it exists to skip.
{
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(`${FRONT}.js`);
  const heavy = [...seen].flatMap((file) => outputs[file].inputs.filter((input) => input.includes('node_modules')));
  const packages = [...seen].flatMap((file) => outputs[file].imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path));
  if (heavy.length || packages.length) throw new Error(`the fast start's front loads packages before the server: ${[...new Set([...heavy, ...packages])].join(', ')} (src/transports/fastStart/ must import only zod-free modules of ours)`);
}

// esbuild's CommonJS interop would fail at run time in ESM output; refuse to ship it.
for (const file of Object.keys(outputs)) {
  if (!file.endsWith('.js')) continue;
  if (readFileSync(join(dist, file), 'utf8').includes('Dynamic require of')) {
    throw new Error(`${file} bundles CommonJS code: add its package to the externals (remove it from BUNDLED)`);
  }
}

// The bin is run through its `#!/usr/bin/env node` line wherever something links it without npm
// (a bin directory on PATH, a client config naming it): it must be executable, as npm would make it.
chmodSync(join(dist, 'cli.js'), 0o755);

// The answers the fast start sends, rendered by the server just built (scripts/renderFastStart.js).
const { renderFastStart } = await import('./renderFastStart.js');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const rendered = await renderFastStart({ dist, cli: join(dist, 'cli.js'), variantsModule: VARIANTS_MODULE, version });
process.stderr.write(`fast start: ${rendered.bytes} bytes of answers from ${rendered.starts} starts\n`);
outputs[ANSWERS] = { bytes: rendered.bytes, inputs: [], imports: [] };
writeFileSync(join(dist, 'cli.meta.json'), `${JSON.stringify(outputs, null, 1)}\n`);
