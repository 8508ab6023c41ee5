import { spawn } from 'node:child_process';
import { CLI } from './paths.js';

/** One JSON-RPC message as the server wrote it on stdout. */
export interface RawMessage {
  id?: unknown;
  result?: { isError?: boolean; content?: unknown; structuredContent?: unknown };
  error?: { code?: number; message?: string };
}

/** The built CLI spoken to in raw JSON-RPC lines over its pipes, no SDK client: for tests that judge the bytes. */
export interface RawStdio {
  pid: number;
  /** One message, as one line. */
  send(msg: object): void;
  /** Any text as it is (a line that is not JSON, say). */
  write(text: string): void;
  /** The answer whose id is `id`, once it is on stdout; fails after `timeoutMs` with the server's stderr. */
  answer(id: number, timeoutMs?: number): Promise<RawMessage>;
  stdout(): string;
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
  /** Closes stdin (the client went away) and resolves once the server has exited. */
  end(): Promise<void>;
}

/** Starts `node dist/cli.js …args` with piped stdio; `env` replaces the environment when given. */
export function startRawStdio(args: string[], env?: Record<string, string>): RawStdio {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const parsed = (line: string): RawMessage | undefined => {
    try {
      return JSON.parse(line) as RawMessage;
    } catch {
      return undefined;
    }
  };
  return {
    pid: child.pid!,
    send: (msg) => child.stdin.write(`${JSON.stringify(msg)}\n`),
    write: (text) => child.stdin.write(text),
    async answer(id, timeoutMs = 30_000) {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        const found = stdout.split('\n').map(parsed).find((m) => m?.id === id);
        if (found) return found;
      }
      throw new Error(`no answer to ${id}; stderr:\n${stderr}`);
    },
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (signal = 'SIGTERM') => child.kill(signal),
    async end() {
      child.stdin.end();
      await exited;
    },
  };
}
