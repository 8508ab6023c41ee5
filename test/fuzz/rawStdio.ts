import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';

/**
 * The server as a raw stdio process, no SDK client in between: the fuzz tests write exactly the
 * bytes they mean (hostile keys, 1e400, lone surrogates, broken JSON) and read every stdout line.
 */
export type Era = 'legacy' | 'modern';

export interface JsonRpcAnswer {
  jsonrpc?: unknown;
  id?: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface RawServer {
  readonly pid: number;
  /** Every stdout line so far, verbatim (the protocol must be the only thing there). */
  readonly stdoutLines: string[];
  stderr(): string;
  alive(): boolean;
  /** The exit code once the process has exited (null while it runs or after a signal). */
  exitCode(): number | null;
  /** Writes one line as is (a newline is added unless `raw` is set); a Buffer goes out byte for byte. */
  writeLine(text: string | Buffer, raw?: boolean): Promise<void>;
  /**
   * Sends a request with a string id of our own ("ctl-N", never produced by the fuzzers) and
   * resolves with its answer, or rejects after `timeoutMs`. `paramsJson` is inserted verbatim.
   */
  request(method: string, paramsJson: string, timeoutMs?: number): Promise<JsonRpcAnswer>;
  close(): Promise<void>;
}

/** _meta every 2026-07-28 request carries (no initialize in that era). */
export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'fuzz', version: '0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

export async function startRawServer(args: string[], opts: { era?: Era; env?: Record<string, string> } = {}): Promise<RawServer> {
  const era = opts.era ?? 'legacy';
  const state = mkdtempSync(join(tmpdir(), 'm365-fuzz-'));
  const env: Record<string, string> = { HOME: state, M365_COPILOT_MCP_STATE_DIR: state, M365_COPILOT_MCP_TOKEN_CACHE: 'memory', ...opts.env };
  for (const k of ['PATH', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k]!;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stderr = '';
  let pending = '';
  const stdoutLines: string[] = [];
  const waiting = new Map<string, (a: JsonRpcAnswer) => void>();
  child.stderr.on('data', (d: Buffer) => {
    // Bounded: a flood of logs must not exhaust the test's memory.
    stderr = (stderr + d.toString()).slice(-2_000_000);
  });
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      stdoutLines.push(line);
      let msg: JsonRpcAnswer | undefined;
      try {
        msg = JSON.parse(line) as JsonRpcAnswer;
      } catch {
        continue; // judged by the test from stdoutLines
      }
      if (msg && typeof msg.id === 'string' && waiting.has(msg.id)) {
        waiting.get(msg.id)!(msg);
        waiting.delete(msg.id);
      }
    }
  });
  // A write after the child died must fail the test, not the worker.
  child.stdin.on('error', () => {});

  let exited = false;
  child.once('exit', () => (exited = true));
  let nextId = 0;
  const writeLine = (text: string | Buffer, raw = false) =>
    new Promise<void>((resolve, reject) => {
      if (exited) return reject(new Error(`server exited; stderr:\n${stderr.slice(-4000)}`));
      const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
      child.stdin.write(raw ? bytes : Buffer.concat([bytes, Buffer.from('\n')]), (err) => (err ? reject(err) : resolve()));
    });

  const request = async (method: string, paramsJson: string, timeoutMs = 30_000): Promise<JsonRpcAnswer> => {
    const id = `ctl-${++nextId}`;
    const answer = new Promise<JsonRpcAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`no answer to ${method} ${id} within ${timeoutMs} ms (params ${paramsJson.slice(0, 300)})`));
      }, timeoutMs);
      waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
    // A write that never completes (the server stopped reading) must still end in the timeout.
    const written = writeLine(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":${JSON.stringify(method)},"params":${paramsJson}}`);
    return Promise.race([written.then(() => answer), answer]);
  };

  const server: RawServer = {
    pid: child.pid!,
    stdoutLines,
    stderr: () => stderr,
    alive: () => !exited && child.exitCode === null && child.signalCode === null,
    exitCode: () => child.exitCode,
    writeLine,
    request,
    close: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.stdin.end();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(kill);
      }
      rmSync(state, { recursive: true, force: true });
    },
  };

  if (era === 'legacy') {
    const init = await request('initialize', JSON.stringify({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '0' } }));
    if (!init.result) throw new Error(`initialize failed: ${JSON.stringify(init)}; stderr:\n${stderr}`);
    await writeLine('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  } else {
    const discover = await request('server/discover', JSON.stringify({ _meta: MODERN_META }));
    if (!discover.result) throw new Error(`server/discover failed: ${JSON.stringify(discover)}; stderr:\n${stderr}`);
  }
  return server;
}

/** params JSON for a call in the given era (the modern era needs the _meta envelope on every request). */
export function withEra(era: Era, paramsJson: string): string {
  if (era === 'legacy') return paramsJson;
  // paramsJson is an object literal "{...}": the envelope goes in front so a fuzzed "_meta" later in it wins, as in JSON.parse.
  const rest = paramsJson.trim().slice(1);
  return `{"_meta":${JSON.stringify(MODERN_META)}${rest.trim().startsWith('}') ? '' : ','}${rest}`;
}

/**
 * JSON text for a generated value, written by hand so what reaches the server is exactly what was
 * meant: Infinity as 1e400 (JSON.parse reads it back as Infinity), -0 as -0, NaN as null (as any
 * client would send it), own "__proto__" keys as keys, `Raw` text verbatim.
 */
export class Raw {
  constructor(readonly text: string) {}
  toString() {
    return `Raw(${this.text.length > 60 ? `${this.text.slice(0, 60)}…(${this.text.length} chars)` : this.text})`;
  }
}

export function toJsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return 'null';
      if (value === Infinity) return '1e400';
      if (value === -Infinity) return '-1e400';
      if (Object.is(value, -0)) return '-0';
      return String(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
      const parts: string[] = [];
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${toJsonText(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** True for one line of JSON-RPC 2.0 a server may write: a response (result or error) or a request/notification. */
export function isJsonRpcLine(line: string): boolean {
  let msg: Record<string, unknown>;
  try {
    msg = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg) || msg['jsonrpc'] !== '2.0') return false;
  const id = msg['id'];
  const idOk = typeof id === 'string' || typeof id === 'number' || id === null;
  if ('result' in msg) return idOk && id !== null && !('error' in msg);
  if ('error' in msg) {
    const e = msg['error'] as Record<string, unknown> | null;
    return idOk && !!e && typeof e === 'object' && Number.isInteger(e['code']) && typeof e['message'] === 'string';
  }
  return typeof msg['method'] === 'string';
}
