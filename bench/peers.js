// Other Microsoft 365 MCP servers the benchmark compares with. They are installed by the benchmark
// itself into bench/.cache/peers (ignored by git), never as dependencies of this project, at the
// pinned versions below (bump them deliberately: `npm view <name> version`).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How each peer starts with no credentials at all (each gets an empty HOME and no inherited
 * environment; see `peerEnv`). Neither needs a variable or a flag just to start.
 */
export const PEERS = [
  {
    name: '@pnp/cli-microsoft365-mcp-server',
    version: '0.1.24',
    args: [],
    // Its tools shell out to a globally installed CLI for Microsoft 365 (`m365`); starting and
    // listing tools does not need it, so it is not installed here.
    startNote: 'no arguments; its tools need a global `m365` CLI, which listing them does not',
  },
  {
    name: '@softeria/ms-365-mcp-server',
    version: '0.155.0',
    args: [],
    // Default (personal account) tool set; `--org-mode` adds the work-account tools (more bytes).
    startNote: 'no arguments (default personal-account tool set; `--org-mode` lists more); built-in public client id, no sign-in until a tool runs',
  },
];

export const peerLabel = (peer) => `${peer.name}@${peer.version}`;

/** Installs the pinned peers into `dir` unless they are already there; returns, per peer, how to start it or why it cannot. */
export async function preparePeers(dir, log = () => {}) {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'm365-copilot-mcp-bench-peers',
    private: true,
    description: 'Installed by bench/run.js; not part of the project.',
    dependencies: Object.fromEntries(PEERS.map((p) => [p.name, p.version])),
  };
  const missing = PEERS.filter((p) => installedVersion(dir, p.name) !== p.version);
  let installError;
  if (missing.length) {
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    log(`installing ${missing.map(peerLabel).join(', ')} into ${dir}`);
    try {
      // Install scripts are not needed to start either peer; skipping them keeps the install inert.
      await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      installError = String(err.stderr || err.message).trim().split('\n').slice(-2).join(' ');
    }
  }
  return PEERS.map((peer) => {
    const version = installedVersion(dir, peer.name);
    if (version !== peer.version) return { ...peer, label: peerLabel(peer), unavailable: `not installed (npm install failed: ${installError ?? `found ${version ?? 'nothing'}`})` };
    const pkgDir = join(dir, 'node_modules', ...peer.name.split('/'));
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin ?? {})[0];
    if (!bin) return { ...peer, label: peerLabel(peer), unavailable: 'package declares no bin' };
    return { ...peer, label: peerLabel(peer), script: join(pkgDir, bin) };
  });
}

function installedVersion(dir, name) {
  const file = join(dir, 'node_modules', ...name.split('/'), 'package.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

/**
 * The whole environment a measured server gets: PATH and an empty HOME of its own, nothing else —
 * no tokens, no tenant settings from this shell, no cached sign-in.
 */
export function peerEnv(extra = {}) {
  const home = mkdtempSync(join(tmpdir(), 'bench-home-'));
  return { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: tmpdir(), ...extra };
}
