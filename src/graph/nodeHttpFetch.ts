import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { AnswerHeaders, GraphFetch, GraphFetchResponse } from './transport.js';

/**
 * The subset of fetch the Graph transport uses (method, string headers, a string body, a signal; no
 * redirects followed), over node:http and node:https. Why not the global fetch: undici's client
 * compiles its HTTP parser to WebAssembly on the first request and runs every body through its
 * fetch pipeline; in the export (issue 17) that cost ~10–13 MB of peak RSS and ~7 % CPU per page
 * over node:http's built-in parser, measured with bench/exportBench.js. The answer is the part of a
 * Response the transport reads (GraphFetchResponse): `text()` reads the body straight off the socket
 * (a web stream and undici's body reader for a 1.5 kB JSON answer were a tenth of a stdio call's
 * CPU, issue 17's profile), and `body` is the web stream fetch would give, for the SSE reader and
 * the download consumers.
 *
 * Differences from fetch that the transport relies on being harmless: no Accept-Encoding is sent,
 * so Graph answers uncompressed (fetch would decompress transparently anyway); network errors are
 * node's own (`code: 'ECONNREFUSED'` at the top, not nested in `cause`), which errorCode and the
 * retry policy both read.
 */
export interface TrustOptions {
  /** An extra CA (PEM) to trust besides the system roots (--ca-cert: a TLS-inspecting proxy's root, the emulator's CA). */
  extraCaPem?: string | undefined;
  /** Trust only that CA (the emulator's own Graph). */
  onlyExtraCa?: boolean | undefined;
}

export function createNodeHttpFetch(trust: TrustOptions = {}): GraphFetch {
  // The same trust list as identity traffic (auth/networkClient.ts): TLS verification is never switched off.
  const ca = trust.extraCaPem ? (trust.onlyExtraCa ? [trust.extraCaPem] : [...rootCertificates, trust.extraCaPem]) : undefined;
  // Keep-alive, as fetch does: the export makes up to 30 requests a second to one host.
  // node:http and node:https are read at the first request, not at import: startup never loads them
  // (on Node 22+ node:http's namespace pulls in undici; test/e2e/cli.test.ts checks startup).
  let modules: { http: typeof Http; https: typeof Https; agents: Record<'http:' | 'https:', Http.Agent> } | undefined;
  const loaded = () => {
    if (!modules) {
      const http = process.getBuiltinModule('node:http') as typeof Http;
      const https = process.getBuiltinModule('node:https') as typeof Https;
      modules = { http, https, agents: { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) }) } };
    }
    return modules;
  };
  return (input: string | URL, init: RequestInit = {}): Promise<GraphFetchResponse> =>
    new Promise((resolve, reject) => {
      if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('nodeHttpFetch takes a URL, not a Request');
      const url = new URL(input);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`nodeHttpFetch cannot fetch ${url.protocol} URLs`);
      if (init.redirect !== undefined && init.redirect !== 'manual') throw new TypeError('nodeHttpFetch never follows redirects; pass redirect: "manual"');
      const body = bodyOf(init.body);
      const headers: Record<string, string> = { ...headerRecord(init.headers) };
      if (body !== undefined) headers['Content-Length'] = String(body.length);
      const { http, https, agents } = loaded();
      const send = url.protocol === 'https:' ? https.request : http.request;
      const req = send(url, { method: init.method ?? 'GET', headers, agent: agents[url.protocol], ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        try {
          resolve(new NodeAnswer(res));
        } catch (err) {
          res.destroy();
          reject(err);
        }
      });
      req.once('error', reject);
      req.end(body);
    });
}

const shared = new Map<string, GraphFetch>();

/** One per process and trust list, so every Graph client (HTTP mode builds one per request) shares the keep-alive connections. */
export function sharedNodeHttpFetch(trust: TrustOptions = {}): GraphFetch {
  const key = `${trust.onlyExtraCa ? 'only' : 'extra'}:${trust.extraCaPem ?? ''}`;
  let fetchFor = shared.get(key);
  if (!fetchFor) shared.set(key, (fetchFor = createNodeHttpFetch(trust)));
  return fetchFor;
}

/** Statuses whose Response may not have a body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** An answer as fetch's Response gives it, for what the transport reads; the body is read once, either way. */
class NodeAnswer implements GraphFetchResponse {
  readonly status: number;
  readonly headers: AnswerHeaders;
  private web: ReadableStream<Uint8Array> | null | undefined;
  private used = false;

  constructor(private readonly res: IncomingMessage) {
    this.status = res.statusCode ?? 0;
    this.headers = new NodeHeaders(res.headers);
    if (NULL_BODY.has(this.status)) {
      res.resume();
      this.web = null;
    }
  }

  /** Node's stream as the web stream fetch would have given: read as it arrives, aborted with the request. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.web === undefined) {
      this.take();
      this.web = Readable.toWeb(this.res) as ReadableStream<Uint8Array>;
    }
    return this.web;
  }

  /** As Response.text(): the body decoded as UTF-8 (a leading byte-order mark dropped, bad bytes replaced). */
  text(): Promise<string> {
    if (this.web === null) return Promise.resolve('');
    this.take();
    const res = this.res;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      });
      res.once('error', reject);
      // A connection closed mid-body without an error event is a reset, as the retry policy counts it.
      res.once('close', () => {
        if (!res.complete) reject(Object.assign(new Error('Graph closed the connection before the answer was complete'), { code: 'ECONNRESET' }));
      });
    });
  }

  private take(): void {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
  }
}

/**
 * Headers.get over node's parsed headers, without building a fetch Headers (undici's, ~3 % of a
 * stdio call's CPU in issue 17's profile) for the one or two a caller reads. Same answers: names are
 * case-insensitive, repeated headers joined with ", " (node joins them so; set-cookie comes as an
 * array). One difference, harmless here: for the headers node keeps only once when repeated
 * (content-type, retry-after, location…) the first value is given, where fetch would join both.
 */
class NodeHeaders implements AnswerHeaders {
  constructor(private readonly parsed: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.parsed[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

function bodyOf(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  throw new TypeError('nodeHttpFetch sends string bodies only');
}

function headerRecord(h: RequestInit['headers']): Record<string, string> {
  if (!h) return {};
  // A plain record (what our Graph client sends) is decided without naming the web Headers class: the
  // first touch of that global loads Node's bundled undici, +2 MB of heap and ~10 MB of RSS (measured
  // with `node --expose-gc`), which a stdio export paid on its first page (issue 17's memory row).
  const proto: unknown = Object.getPrototypeOf(h);
  if (proto === Object.prototype || proto === null) return h as Record<string, string>;
  const out: Record<string, string> = {};
  new Headers(h).forEach((value, name) => (out[name] = value));
  return out;
}
