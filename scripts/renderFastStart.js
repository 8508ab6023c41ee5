// Part of `npm run build` (called by scripts/bundle.js once dist/cli.js is built): renders the answers
// the fast start sends (src/transports/fastStart/) by asking the built server itself, started with
// --no-fast-start, over its real stdio — so they are what the SDK sends, not a copy of it. One start
// per surface variant and protocol version; every answer is checked to be exactly
// `{"result":…,"jsonrpc":"2.0","id":…}` as the front frames it, or the build fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

const CONCURRENCY = 4;
const TIMEOUT_MS = 60_000;

/** One conversation with a fresh server: initialize at `protocolVersion`, then tools/list and ping. */
function converse(cli, args, protocolVersion) {
  const home = mkdtempSync(join(tmpdir(), 'render-fast-start-'));
  const exportDir = mkdtempSync(join(tmpdir(), 'render-fast-start-export-'));
  const child = spawn(process.execPath, [cli, '--no-fast-start', '--log-level', 'error', ...args(exportDir)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: tmpdir(), M365_COPILOT_MCP_TOKEN_CACHE: 'memory' },
  });
  const lines = new Map();
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill(), TIMEOUT_MS);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) !== -1) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        lines.set(JSON.parse(line).id, line);
        if (lines.size === 3) child.stdin.end();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
      rmSync(exportDir, { recursive: true, force: true });
      if (lines.size === 3) resolve(lines);
      else reject(new Error(`rendering the fast start: the server exited (${code}) after ${lines.size} of 3 answers; stderr: ${err.slice(-2000)}`));
    });
    const send = (m) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
    send({ id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'render-fast-start', version: '0' } } });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/list' });
    send({ id: 3, method: 'ping' });
  });
}

/** The result's JSON text, after checking the line is exactly what answerLine(result, id) makes of it. */
function resultOf(line, id, answerLine) {
  const msg = JSON.parse(line);
  if (!('result' in msg)) throw new Error(`rendering the fast start: request ${id} failed: ${line.slice(0, 500)}`);
  const result = JSON.stringify(msg.result);
  if (answerLine(result, id) !== line) throw new Error(`rendering the fast start: the SDK framed answer ${id} differently from answerLine (src/transports/fastStart/variants.ts): ${line.slice(0, 200)}`);
  return result;
}

export async function renderFastStart({ dist, cli, variantsModule, version }) {
  const { VARIANTS, variantKey, variantArgs, answerLine, ANSWERS_FILE } = await import(variantsModule);
  const jobs = VARIANTS.flatMap((v) => SUPPORTED_PROTOCOL_VERSIONS.map((p) => ({ v, p })));
  const answers = { format: 1, version, results: [], ping: undefined, variants: {} };
  const indexOf = (result) => {
    const at = answers.results.indexOf(result);
    return at === -1 ? answers.results.push(result) - 1 : at;
  };
  for (let i = 0; i < jobs.length; i += CONCURRENCY) {
    const batch = jobs.slice(i, i + CONCURRENCY);
    const rendered = await Promise.all(batch.map(({ v, p }) => converse(cli, (dir) => variantArgs(v, dir), p)));
    batch.forEach(({ v, p }, k) => {
      const lines = rendered[k];
      const initialize = resultOf(lines.get(1), 1, answerLine);
      // A version the SDK answers with another one is left to it: the front sends only echoes.
      if (JSON.parse(initialize).protocolVersion !== p) return;
      (answers.variants[variantKey(v)] ??= {})[p] = { initialize: indexOf(initialize), toolsList: indexOf(resultOf(lines.get(2), 2, answerLine)) };
      answers.ping ??= indexOf(resultOf(lines.get(3), 3, answerLine));
    });
  }
  const file = join(dist, ANSWERS_FILE);
  writeFileSync(file, `${JSON.stringify(answers)}\n`);
  return { file, bytes: readFileSync(file).length, starts: jobs.length };
}
