import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisServerBinary } from './system.js';
import { freePort } from './freePort.js';


export interface RedisServer {
  port: number;
  /** redis://[:password@]127.0.0.1:port */
  url: string;
  /** Starts it again on the same port (after stop()); no-op while running. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, waits for the exit); the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Stops it for good and removes its working directory. */
  cleanup(): Promise<void>;
}

/**
 * A real redis-server on a free loopback port, with persistence off (`--save '' --appendonly no`),
 * for the distributed token cache tests. `.ci/run` apt-installs redis-server; test files that use
 * it declare skipWithout('redis-server'). REDIS_SERVER_BIN names another binary.
 */
export async function startRedisServer(opts: { password?: string } = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (!binary) throw new Error('redis-server not found (apt-get install redis-server, or set REDIS_SERVER_BIN)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'm365-redis-test-'));
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    if (child && child.exitCode === null) return;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--daemonize', 'no'];
    if (opts.password) args.push('--requirepass', opts.password);
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${output}`)), 10_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${binary}: ${err.message}`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${String(code)} before it was ready:\n${output}`));
      });
    });
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`,
    start,
    stop,
    cleanup: async () => {
      await stop();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

