import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haproxyBinary } from './system.js';
import { freePort } from './freePort.js';

export interface Haproxy {
  /** http://127.0.0.1:port */
  origin: string;
  port: number;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * A real HAProxy on a free loopback port, round robin over `backends` (origins of `serve --http`
 * instances), plain HTTP only. Health checks ask /readyz every 200 ms (with a Host header: the
 * servers check it), so an instance that drains or dies is taken out of the rotation; a connection
 * that could not be made is tried on another instance (retry-on conn-failure + redispatch: nothing
 * was sent, so nothing can be answered twice). Each request gets its own server connection, so a
 * draining instance's closed listener shows as a refused connection, not a reused dead socket.
 */
export async function startHaproxy(backends: string[]): Promise<Haproxy> {
  const binary = haproxyBinary();
  if (!binary) throw new Error('haproxy not found (apt-get install haproxy)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'm365-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 120s',
      '  timeout server 120s',
      '  retries 3',
      '  option redispatch',
      '  retry-on conn-failure',
      '  option http-server-close',
      '  http-reuse never',
      'frontend mcp',
      `  bind 127.0.0.1:${port}`,
      '  default_backend instances',
      'backend instances',
      '  balance roundrobin',
      '  option httpchk',
      '  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1',
      '  http-check expect status 200',
      '  default-server inter 200ms fall 1 rise 2',
      ...backends.map((origin, i) => `  server s${i + 1} ${new URL(origin).host} check`),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const origin = `http://127.0.0.1:${port}`;
  // Ready once every backend passed its health checks (rise 2) and the proxy answers.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${stderr}`);
    const ok = await fetch(`${origin}/healthz`).then((r) => r.ok, () => false);
    if (ok && (await allUp(backends.length, origin))) break;
    if (Date.now() > deadline) throw new Error(`haproxy did not become ready in 20 s:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    port,
    stderr: () => stderr,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every backend answered at least once through the proxy (round robin: n probes in a row hit n instances). */
async function allUp(n: number, origin: string): Promise<boolean> {
  const answers = await Promise.all(Array.from({ length: n * 2 }, () => fetch(`${origin}/readyz`).then((r) => r.status, () => 0)));
  return answers.every((s) => s === 200);
}

