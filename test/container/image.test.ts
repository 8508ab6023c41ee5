import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { skipWithout } from '../helpers/system.js';
import { freePort } from '../helpers/freePort.js';

/**
 * The real image (slow tier): a base image made from Debian's packages and Node's npm package
 * (scripts/build-base-image.sh; nothing is pulled from a container registry), our Dockerfile built
 * on it with buildah, then run with buildah as its unprivileged user: --demo over stdio, serve
 * --http with the image's own HEALTHCHECK command, and what the image holds.
 */
const skip = skipWithout('image-build');
const BUILDAH = ['--storage-driver', 'vfs'];
const IMAGE = `localhost/m365-copilot-mcp:test-${process.pid}`;
/**
 * Where the host reaches the npm registry through a TLS-inspecting proxy (NODE_EXTRA_CA_CERTS set),
 * its CA bundle is mounted for the build at /mnt, a folder every Debian image has empty, so the
 * mount leaves nothing behind in a layer.
 */
const BUILD_CA_DIR = '/mnt';
const BUILD_CA = `${BUILD_CA_DIR}/build-ca.crt`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(file: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-200_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
async function buildah(args: string[], timeoutMs?: number): Promise<string> {
  const r = await run('buildah', [...BUILDAH, ...args], timeoutMs);
  if (r.code !== 0) throw new Error(`buildah ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r.stdout.trim();
}
/** `buildah run` in the chroot isolation this machine supports, as the image's configured user. */
const runArgs = (container: string, command: string[]) => [...BUILDAH, 'run', '--isolation', 'chroot', container, '--', ...command];

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  link?: boolean;
}

/** Lock-file paths reachable from the root package's dependencies (Node's resolution: nearest node_modules up the tree). */
function productionClosure(packages: Record<string, LockEntry>): Set<string> {
  const found = new Set<string>();
  const visit = (from: string, name: string) => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[path]) {
        if (found.has(path)) return;
        found.add(path);
        const entry = packages[path]!;
        const peers = Object.keys(entry.peerDependencies ?? {}).filter((p) => !entry.peerDependenciesMeta?.[p]?.optional);
        for (const dep of [...Object.keys(entry.dependencies ?? {}), ...peers]) visit(path, dep);
        return;
      }
      if (dir === '') return;
    }
  };
  for (const dep of Object.keys(packages['']?.dependencies ?? {})) visit('', dep);
  return found;
}

let baseImage = '';
/** Runs the tests' commands (its /data and /tmp change). */
let container = '';
/** Never run: its mount is the image as built. */
let pristine = '';
let mount = '';
let entrypoint: string[] = [];
let healthcheck: string[] = [];
let caDir = '';
let imageConfig: { User?: string; Env?: string[] } = {};
let history: string[] = [];
let sizeBytes = 0;
let sizeReported = '';
const timings: Record<string, number> = {};

beforeAll(async () => {
  let t = Date.now();
  const base = await run('bash', ['scripts/build-base-image.sh'], 900_000);
  if (base.code !== 0) throw new Error(`scripts/build-base-image.sh exited ${base.code}:\n${base.stderr.slice(-4000)}`);
  baseImage = base.stdout.trim().split('\n').pop()!;
  timings['base image (s)'] = (Date.now() - t) / 1000;

  t = Date.now();
  const caArgs: string[] = [];
  const hostCa = process.env['NODE_EXTRA_CA_CERTS'];
  if (hostCa && existsSync(hostCa)) {
    const dir = join(ROOT, '.cache', 'image', `build-ca-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(hostCa, join(dir, 'build-ca.crt'));
    caDir = dir;
    caArgs.push('--volume', `${dir}:${BUILD_CA_DIR}:ro`, '--build-arg', `NODE_EXTRA_CA_CERTS=${BUILD_CA}`);
  }
  // --format docker: the OCI format has no HEALTHCHECK, and the image's own check is what we run below.
  await buildah(['bud', '--isolation', 'chroot', '--format', 'docker', '--build-arg', `BASE_IMAGE=${baseImage}`, ...caArgs, '-t', IMAGE, '-f', 'Dockerfile', '.'], 900_000);
  timings['buildah bud (s)'] = (Date.now() - t) / 1000;

  const inspect = JSON.parse(await buildah(['inspect', '--type', 'image', IMAGE]));
  imageConfig = inspect.OCIv1.config;
  entrypoint = inspect.OCIv1.config.Entrypoint as string[];
  healthcheck = (inspect.Docker?.config?.Healthcheck?.Test as string[] | undefined) ?? [];
  history = ((inspect.Docker?.history ?? inspect.OCIv1.history ?? []) as { created_by?: string }[]).map((h) => h.created_by ?? '');
  sizeReported = String(JSON.parse(await buildah(['images', '--json', IMAGE]))[0]?.size ?? '?');
  pristine = await buildah(['from', '--pull-never', '--name', `m365-image-test-pristine-${process.pid}`, IMAGE]);
  mount = await buildah(['mount', pristine]);
  sizeBytes = Number((await run('du', ['-sb', mount])).stdout.split('\t')[0]);
  container = await buildah(['from', '--pull-never', '--name', `m365-image-test-${process.pid}`, IMAGE]);
  console.log(`image ${IMAGE} on ${baseImage}: ${sizeReported} (buildah), ${(sizeBytes / 1e6).toFixed(1)} MB unpacked; ${JSON.stringify(timings)}`);
}, 1_800_000);

afterAll(async () => {
  if (pristine) await run('buildah', [...BUILDAH, 'umount', pristine]);
  for (const c of [pristine, container]) if (c) await run('buildah', [...BUILDAH, 'rm', c]);
  if (caDir) rmSync(caDir, { recursive: true, force: true });
  // The base image stays (tagged by its inputs, reused next time); ours is rebuilt every run.
  await run('buildah', [...BUILDAH, 'rmi', '-f', IMAGE]);
}, 120_000);

describe.skipIf(skip)('container image built with buildah on a base made from Debian packages', () => {
  it('runs as the unprivileged node user, with the CLI as its entrypoint and the health check script', async () => {
    expect(imageConfig.User).toBe('node');
    expect(entrypoint).toEqual(['node', '/app/dist/cli.js']);
    expect(healthcheck).toEqual(['CMD', 'node', '/app/scripts/healthcheck.js']);
    const id = await run('buildah', runArgs(container, ['id', '-u']));
    expect(id.stdout.trim()).toBe('1000');
    const node = await run('buildah', runArgs(container, ['node', '--version']));
    expect(node.stdout.trim()).toMatch(/^v2[246]\./);
  });

  it('serves --demo over stdio: initialize, copilot_status signed in to the emulated tenant, and a retrieval through it', async () => {
    const transport = new StdioClientTransport({ command: 'buildah', args: runArgs(container, [...entrypoint, '--demo']), env: { PATH: process.env['PATH'] ?? '' }, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'image-test', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()?.name).toBe('m365-copilot-mcp');
      const status = await client.callTool({ name: 'copilot_status', arguments: {} }, { timeout: 60_000 });
      expect(status.isError, JSON.stringify(status.content)).toBeFalsy();
      expect(JSON.stringify(status.content)).toContain('EMULATED');
      expect((status.structuredContent as { user: { upn: string } }).user.upn).toBe('megan.bowen@contoso-emu.example');
      const retrieve = await client.callTool({ name: 'copilot_retrieve', arguments: { query: 'How to setup corporate VPN?' } }, { timeout: 60_000 });
      expect(retrieve.isError, JSON.stringify(retrieve.content)).toBeFalsy();
      expect((retrieve.structuredContent as { hits: unknown[] }).hits.length).toBeGreaterThan(0);
      expect(stderr).toContain('emulated tenant started in-process');
    } finally {
      await client.close();
    }
  }, 120_000);

  it('serves --http with --demo; the image HEALTHCHECK command passes while it listens and fails once it is gone', async () => {
    const port = await freePort();
    const server: ChildProcess = spawn('buildah', runArgs(container, [...entrypoint, 'serve', '--http', '--demo', '--port', String(port)]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const exited = new Promise((r) => server.once('exit', r));
    let pid = 0;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve --http did not start in 60 s:\n${stderr}`)), 60_000);
        createInterface({ input: server.stdout! }).once('line', (l) => {
          clearTimeout(timer);
          resolve(l);
        });
        server.once('exit', (code) => reject(new Error(`serve --http exited ${code}:\n${stderr}`)));
      });
      expect(JSON.parse(line)).toMatchObject({ url: `http://127.0.0.1:${port}/mcp`, port });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const anonymous = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);

      // chroot isolation shares the host's process table: find the server, and point the check at it
      // (it reads /proc/<pid>/cmdline; in a container engine that pid is 1).
      pid = serverPid(port);
      const check = ['env', `M365_COPILOT_MCP_HEALTHCHECK_PID=${pid}`, ...healthcheck.slice(1)];
      const healthy = await run('buildah', runArgs(container, check), 30_000);
      expect(healthy.code, healthy.stderr).toBe(0);

      process.kill(pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      const afterStop = await run('buildah', runArgs(container, check), 30_000);
      expect(afterStop.code).toBe(1);
    } finally {
      if (pid && existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
  }, 180_000);

  it('holds exactly the production dependencies of the lock file: no dev and no optional packages', () => {
    const lock = JSON.parse(readFileSync(join(mount, 'app/package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    // The closure of the root's own dependencies: the workspace package (m365-copilot-emulator) and what
    // only it needs (node-forge) are compiled into the bundle, and the lock file marks neither as dev.
    const expected = [...productionClosure(lock.packages)].sort();
    const installed = installedPackages(join(mount, 'app'));
    expect(installed).toEqual(expected);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; optionalDependencies: Record<string, string> };
    for (const name of [...Object.keys(pkg.devDependencies), ...Object.keys(pkg.optionalDependencies)]) expect(installed, name).not.toContain(`node_modules/${name}`);
  });

  it('holds none of our tests, sources, source maps, benchmarks or build leftovers: /app is the bundle, the production dependencies and the health check', () => {
    const app = join(mount, 'app');
    const ours = walk(app).filter((f) => !f.startsWith('node_modules/'));
    const bundle = ours.filter((f) => /^dist\/cli(\.chunk-([A-Z0-9]+|main|front))?\.js$/.test(f) || f === 'dist/cli.answers.json');
    expect(bundle).toContain('dist/cli.js');
    expect(bundle.length).toBeGreaterThan(5);
    // Everything else by name: no src/, test/, bench/, dist/*.map, cli.meta.json, tsconfig, scripts but the health check.
    expect(ours.filter((f) => !bundle.includes(f)).sort()).toEqual(['LICENSE', 'README.md', 'package-lock.json', 'package.json', 'scripts/healthcheck.js']);
    for (const gone of ['app/src', 'app/test', 'app/bench', 'app/.cache', 'app/tsconfig.json']) expect(existsSync(join(mount, gone)), gone).toBe(false);
    // No source maps at all, dependencies' included (the Dockerfile deletes those).
    const inModules = walk(join(app, 'node_modules'));
    expect(inModules.filter((f) => f.endsWith('.map'))).toEqual([]);
    // Third-party packages ship what their authors put in their tarballs (zod its own tests); reported, not ours to prune.
    console.log(`image /app/node_modules: ${inModules.length} files, ${inModules.filter((f) => /\.test\.[cm]?[jt]s$/.test(f)).length} test files shipped inside third-party packages`);
  });

  it('holds no secrets: no keys, certificates, .env or .npmrc files, no npm cache, no build-time CA, nothing secret in its environment or history', () => {
    const roots = ['app', 'root', 'home/node', 'data', 'tmp', 'run', 'mnt'].map((d) => join(mount, d)).filter(existsSync);
    const files = roots.flatMap((r) => walk(r).map((f) => `${relative(mount, r)}/${f}`));
    expect(files.filter((f) => /\.(pem|key|pfx|p12|crt)$|(^|\/)\.env|(^|\/)\.npmrc$|(^|\/)id_(rsa|ed25519)/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)\.npm\//.test(f))).toEqual([]);
    expect(readdirSync(join(mount, BUILD_CA_DIR.slice(1)))).toEqual([]);
    const env = (imageConfig.Env ?? []).map((e) => e.slice(0, e.indexOf('=')));
    expect(env.filter((name) => /SECRET|PASSWORD|TOKEN(?!_CACHE)|_KEY|CREDENTIAL/.test(name))).toEqual([]);
    expect(history.filter((h) => /SECRET|PASSWORD|BEGIN [A-Z ]*PRIVATE KEY/.test(h))).toEqual([]);
  });

  it('is of a reasonable size (reported)', () => {
    console.log(`image size: ${sizeReported} as buildah reports it, ${(sizeBytes / 1e6).toFixed(1)} MB unpacked (base image ${baseImage})`);
    expect(sizeBytes).toBeGreaterThan(50e6);
    expect(sizeBytes).toBeLessThan(400e6);
  });
});

function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(dir, rel));
    else out.push(rel);
  }
  return out;
}

/** node_modules/<name> paths (nested ones too) of every installed package, as the lock file names them. */
function installedPackages(app: string): string[] {
  const found: string[] = [];
  const scan = (modules: string) => {
    if (!existsSync(join(app, modules))) return;
    for (const entry of readdirSync(join(app, modules))) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@') ? readdirSync(join(app, modules, entry)).map((n) => `${entry}/${n}`) : [entry];
      for (const name of names) {
        const path = `${modules}/${name}`;
        if (lstatSync(join(app, path)).isSymbolicLink() || !existsSync(join(app, path, 'package.json'))) continue;
        found.push(path);
        scan(`${path}/node_modules`);
      }
    }
  };
  scan('node_modules');
  return found.sort();
}

/** The pid of the image's server process listening on `port` (argv: node /app/dist/cli.js serve --http … --port N). */
function serverPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0');
      if (/(^|\/)node$/.test(argv[0] ?? '') && argv[1] === '/app/dist/cli.js' && argv.includes('--http') && argv[argv.indexOf('--port') + 1] === String(port)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process of the image listens with --port ${port}`);
}

