import { readFileSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fastStartChoice } from '../../config/fastStartChoice.js';
import { answerLine, variantKey, type RenderedAnswers } from './variants.js';

/**
 * The fast start (issue 17): `initialize` and `tools/list` answered from answers the build rendered
 * with this very server (scripts/renderFastStart.js), before zod, the SDK and the tools load — they
 * are most of a cold start. Nothing here imports them (lint keeps it so).
 *
 * Every byte read is kept and handed to the SDK's transport when the server is up, in order: the SDK
 * sees the whole conversation (its initialize state, the era it pins), answers it again, and the
 * transport drops the answers already sent after checking they are byte for byte the ones sent here
 * (src/transports/stdio.ts). The front answers only the opening: the first message not in the
 * script below ends it, and from then on every message waits for the server, as without it.
 */

/** Silence after which the server loads even though tools/list has not come (a client taking its time). */
const IDLE_MS = 150;
/** An opening line is small; a longer one is the server's to read (and to refuse past its own limit). */
const MAX_OPENING_LINE = 1 << 20;

/** What the front sent, handed to the stdio transport. */
export interface FastStartHandover {
  /** All input, from the first byte: what was read so far, then the rest of stdin. */
  input: Readable;
  /** Answers already sent, by request id (JSON of the id), oldest first. */
  sent: Map<string, string[]>;
  /** The requests answered here, for the log. */
  answered: string[];
}

type Phase = 'awaiting-initialize' | 'initialized' | 'done';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const noParams = (params: unknown) => params === undefined || (isObject(params) && Object.keys(params).length === 0);
const isId = (id: unknown): id is string | number => typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));

class Front {
  private readonly chunks: Buffer[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private phase: Phase = 'awaiting-initialize';
  private ended = false;
  private idle: NodeJS.Timeout | undefined;
  private release!: () => void;
  readonly ready = new Promise<void>((resolve) => (this.release = resolve));
  private readonly sent = new Map<string, string[]>();
  private readonly answered: string[] = [];
  private readonly onData = (chunk: Buffer) => this.read(chunk);
  private readonly onEnd = () => {
    this.ended = true;
    this.finish();
  };

  constructor(
    private readonly answers: RenderedAnswers['variants'][string],
    private readonly results: readonly string[],
    private readonly ping: string,
  ) {
    process.stdin.on('data', this.onData);
    process.stdin.once('end', this.onEnd);
    this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.finish(), IDLE_MS);
    this.idle.unref();
  }

  /** Stop answering; the server loads (and takes the input over when it is up). */
  private finish(): void {
    this.phase = 'done';
    clearTimeout(this.idle);
    this.release();
  }

  // A method, so the compiler does not narrow the phase across line(), which may end the opening.
  private done(): boolean {
    return this.phase === 'done';
  }

  private read(chunk: Buffer): void {
    this.chunks.push(chunk);
    if (this.done()) return;
    this.pending += this.decoder.write(chunk);
    if (this.pending.length > MAX_OPENING_LINE) return this.finish();
    let nl;
    while (!this.done() && (nl = this.pending.indexOf('\n')) !== -1) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      this.line(line);
    }
  }

  private line(text: string): void {
    if (text.trim() === '') return; // the SDK ignores a blank line too
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.finish(); // the server answers it (-32700), in order
    }
    if (!isObject(msg) || msg['jsonrpc'] !== '2.0' || typeof msg['method'] !== 'string') return this.finish();
    const { method, params, id } = msg;
    if (this.phase === 'awaiting-initialize') {
      const answer = method === 'initialize' && isId(id) && this.initializeAnswer(params);
      if (!answer) return this.finish();
      this.phase = 'initialized';
      return this.send(method, id, answer);
    }
    if (method === 'notifications/initialized' && id === undefined && (params === undefined || isObject(params))) return this.armIdle();
    if (!isId(id) || !noParams(params)) return this.finish();
    if (method === 'ping') return this.send(method, id, this.ping);
    if (method !== 'tools/list') return this.finish();
    this.send(method, id, this.toolsList!);
    // The opening is over: what a client asks next needs the server.
    this.finish();
  }

  private toolsList: string | undefined;

  /**
   * The rendered answer for this request, or undefined when the SDK might answer otherwise: an
   * unsupported version (the SDK then picks one), or params its schema would refuse.
   */
  private initializeAnswer(params: unknown): string | undefined {
    if (!isObject(params) || typeof params['protocolVersion'] !== 'string') return undefined;
    const { capabilities, clientInfo } = params;
    if (!isObject(capabilities) || !Object.values(capabilities).every(isObject)) return undefined;
    if (!isObject(clientInfo) || typeof clientInfo['name'] !== 'string' || typeof clientInfo['version'] !== 'string') return undefined;
    const rendered = Object.hasOwn(this.answers, params['protocolVersion']) ? this.answers[params['protocolVersion']] : undefined;
    if (!rendered) return undefined;
    this.toolsList = this.results[rendered.toolsList];
    return this.results[rendered.initialize];
  }

  private send(method: string, id: string | number, result: string): void {
    const line = answerLine(result, id);
    process.stdout.write(`${line}\n`);
    const key = JSON.stringify(id);
    this.sent.set(key, [...(this.sent.get(key) ?? []), line]);
    this.answered.push(method);
    this.armIdle();
  }

  handOver(): FastStartHandover {
    this.finish();
    process.stdin.off('data', this.onData);
    process.stdin.off('end', this.onEnd);
    const input = new PassThrough();
    for (const chunk of this.chunks) input.write(chunk);
    this.chunks.length = 0;
    if (this.ended || process.stdin.readableEnded) input.end();
    else process.stdin.pipe(input);
    return { input, sent: this.sent, answered: this.answered };
  }
}

let front: Front | undefined;

/**
 * Called by the CLI stub before the server loads: starts the front when this start may use it, and
 * resolves when the server should load (at once when the front does not apply).
 */
export function startFastStart(answersFile: URL): Promise<void> {
  const choice = fastStartChoice();
  if ('skip' in choice) return Promise.resolve();
  let answers: RenderedAnswers;
  try {
    answers = JSON.parse(readFileSync(answersFile, 'utf8')) as RenderedAnswers;
  } catch {
    return Promise.resolve(); // not built (an unbundled run): the server answers everything
  }
  const variant = answers.format === 1 ? answers.variants[variantKey(choice.variant)] : undefined;
  if (!variant) return Promise.resolve();
  front = new Front(variant, answers.results, answers.results[answers.ping]!);
  return front.ready;
}

/** The stdio server takes the input over (once); undefined when there was no fast start. */
export function takeFastStart(): FastStartHandover | undefined {
  const taken = front?.handOver();
  front = undefined;
  return taken;
}
