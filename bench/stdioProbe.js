import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/**
 * Raw JSON-RPC over a spawned server's stdio, timed from spawn; no SDK on the client side.
 * `opts.timeoutMs` bounds each request; `opts.replaceEnv` runs the child with `env` only (no inherited
 * variables: peers must start without whatever credentials this shell holds); `opts.cwd` sets its directory.
 * A request is rejected, not left hanging, when the server exits or stays silent past the timeout.
 */
export function spawnProbe(command, args, env = {}, opts = {}) {
  const started = performance.now();
  const child = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.replaceEnv ? env : { ...process.env, ...env },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  let buffer = '';
  let stderrTail = '';
  let exited = null;
  const waiters = new Map();
  const failAll = (err) => {
    for (const w of waiters.values()) w.reject(err);
    waiters.clear();
  };
  child.stderr.on('data', (d) => {
    stderrTail = (stderrTail + d).slice(-2000);
  });
  child.on('error', (err) => failAll(err));
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    failAll(new Error(`server exited (${signal ?? `code ${code}`}) before answering; stderr: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
  });
  child.stdin.on('error', () => {}); // EPIPE when the server is already gone; the exit handler reports it
  child.stdout.on('data', (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      const w = waiters.get(msg.id);
      if (w) {
        waiters.delete(msg.id);
        w.resolve({ msg, at: performance.now(), bytes: Buffer.byteLength(line), line });
      }
    }
  });
  let nextId = 1;
  return {
    started,
    child,
    stderr: () => stderrTail,
    request(method, params) {
      const id = nextId++;
      const p = new Promise((resolve, reject) => {
        if (exited) return reject(new Error(`server exited (${exited.signal ?? `code ${exited.code}`}); stderr: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
        const timer = opts.timeoutMs
          ? setTimeout(() => {
              waiters.delete(id);
              reject(new Error(`no answer to ${method} within ${opts.timeoutMs} ms; stderr: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
            }, opts.timeoutMs)
          : undefined;
        waiters.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
      });
      if (!exited) child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
      return p;
    },
    notify(method, params) {
      if (!exited) child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })}\n`);
    },
    /** Closes stdin and waits for the exit; a server that lingers past `graceMs` is killed. */
    async close(graceMs = 5000) {
      child.stdin.end();
      if (exited) return;
      await new Promise((r) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => (clearTimeout(timer), r()));
      });
    },
  };
}

export const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '0' } };

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
