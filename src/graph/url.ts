import { AppError } from '../errors.js';

export type GraphVersion = 'v1.0' | 'beta';
export type QueryParams = Record<string, string | undefined>;

/** OData option names keep their `$` literal: Graph reads `%24filter` too, but logs and nextLinks stay legible. */
function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/%24/g, '$');
}

/**
 * Values are encoded one by one with encodeURIComponent, so spaces become %20 (not +, which OData
 * reads literally) and quotes, `&`, `=` and `#` inside a `$filter` cannot break the query apart.
 */
export function encodeQuery(query: QueryParams | undefined): string {
  if (!query) return '';
  return Object.entries(query)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${encodeName(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function appendQuery(href: string, query: QueryParams | undefined): string {
  const extra = encodeQuery(query);
  if (!extra) return href;
  const hash = href.indexOf('#');
  const head = hash >= 0 ? href.slice(0, hash) : href;
  const sep = head.includes('?') ? (head.endsWith('?') || head.endsWith('&') ? '' : '&') : '?';
  return `${head}${sep}${extra}`;
}

export function normaliseBaseUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.search || url.hash) throw new Error(`Graph baseUrl must be an origin (optionally with a path prefix), got ${baseUrl}`);
  return url;
}

/**
 * A token is only ever sent to the configured Graph origin. Anything else (a nextLink pointing
 * elsewhere, a forged cursor) is refused before a request is made.
 */
export function assertSameOrigin(target: URL, base: URL, what: string): void {
  if (target.origin !== base.origin)
    throw new AppError('BadGraphResponse', `refusing to follow ${what} to ${target.origin}: it is not the configured Graph origin ${base.origin}, and the access token must not be sent there`, {
      nextStep: 'This looks like a misconfigured proxy or a tampered response; check graphBaseUrl. The request was not sent.',
      details: { origin: target.origin },
    });
}

/**
 * Relative paths get the base (with any path prefix) and the version; absolute URLs are used as
 * given (after the origin check), so `@odata.nextLink` is never rebuilt.
 */
export function resolveGraphUrl(base: URL, path: string | URL, version: GraphVersion, query: QueryParams | undefined, what = 'a URL'): URL {
  if (path instanceof URL) {
    assertSameOrigin(path, base, what);
    return new URL(appendQuery(path.href, query));
  }
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`Graph path must start with a single "/", got ${path}`);
  if (/^\/(v1\.0|beta)(\/|$)/i.test(path)) throw new Error(`Graph path must not include the version (use the version option): ${path}`);
  // URL parsing drops "." and ".." segments (also spelled %2e): an id that is one would send the
  // request to another resource, e.g. meetingId ".." turns …/onlineMeetings/../aiInsights into …/aiInsights.
  const pathOnly = path.split(/[?#]/, 1)[0] ?? path;
  const dotSegment = pathOnly.split('/').find((s) => /^(?:\.|%2e){1,2}$/i.test(s));
  if (dotSegment !== undefined)
    throw new AppError('InvalidArgument', `"${dotSegment}" is not a valid Graph id: as a path segment it would address a different resource than ${pathOnly}`, {
      nextStep: 'Pass the id exactly as Graph (or an earlier tool answer) gave it; "." and ".." are never Graph ids.',
      details: { segment: dotSegment },
    });
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = new URL(appendQuery(`${base.origin}${prefix}/${version}${path}`, query));
  assertSameOrigin(url, base, what);
  return url;
}
