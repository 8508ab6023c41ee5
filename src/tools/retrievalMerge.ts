import type { RetrievalOutcome, RetrievalSource as Source } from '../graph/copilot/retrieval.js';
import { labelOf, type RetrievalExtract, type RetrievalHit } from '../graph/copilot/schemas.js';
import { keepRelevant } from './relevanceFloor.js';
import type { OutHit } from './retrieve.js';

/** One document across sources: its url, the first hit that named it (and that hit's source), every distinct extract, its best score. */
interface MergedHit {
  url: string;
  source: Source;
  first: RetrievalHit;
  /** Graph's extracts, the first hit's array itself until another source adds to it. */
  extracts: RetrievalExtract[];
  /** The best rounded relevance score of those extracts; undefined when none has one. */
  score: number | undefined;
}

/**
 * Merged across sources by url, ranked best first, and cut to the relevant ones (keepRelevant); only
 * the kept hits are built in full. Graph returns up to 25 hits per source and the default keeps the few
 * that answer: titles, labels, metadata, thumbnails and extract objects of the others were built only
 * to be dropped, and each document's score is computed once, not at every comparison of the sort
 * (issue 17: the answer's path after Graph's reply; this function allocated ~40 kB per call).
 */
export function mergeRelevant(perSource: RetrievalOutcome[], requested: string[], maxResults: number | undefined): { kept: OutHit[]; leftOut: number } {
  const byUrl = new Map<string, MergedHit>();
  for (const outcome of perSource) {
    if ('error' in outcome) continue;
    const { source, hits } = outcome;
    for (const hit of hits) {
      // webUrl is nullable in the CSDL; a hit nobody can open or cite is dropped (counted in sources[].droppedHits).
      if (!hit.webUrl) continue;
      const extracts = hit.extracts ?? [];
      const existing = byUrl.get(hit.webUrl);
      if (!existing) {
        byUrl.set(hit.webUrl, { url: hit.webUrl, source, first: hit, extracts, score: bestScore(extracts, undefined) });
        continue;
      }
      const seen = new Set(existing.extracts.map((e) => e.text));
      const added = extracts.filter((e) => !seen.has(e.text));
      if (!added.length) continue;
      existing.extracts = [...existing.extracts, ...added];
      existing.score = bestScore(added, existing.score);
    }
  }
  // Unscored documents rank last (stable among themselves); keepRelevant keeps them all the same.
  const ranked = [...byUrl.values()].sort((a, b) => Math.max(-1, b.score ?? -1) - Math.max(-1, a.score ?? -1));
  const { kept, leftOut } = keepRelevant(ranked, maxResults, (m) => m.score);
  const wanted = new Set(requested.map((r) => r.toLowerCase()));
  return { kept: kept.map((m) => builtHit(m, wanted)), leftOut };
}

/** Three decimals are all a ranking needs; Graph sends sixteen. */
function rounded(score: number): number {
  return Math.round(score * 1000) / 1000;
}

function bestScore(extracts: readonly RetrievalExtract[], start: number | undefined): number | undefined {
  let best = start;
  for (const e of extracts) {
    if (e.relevanceScore === undefined || e.relevanceScore === null) continue;
    const score = rounded(e.relevanceScore);
    if (best === undefined || score > best) best = score;
  }
  return best;
}

function builtHit({ url, source, first: hit, extracts }: MergedHit, wanted: ReadonlySet<string>): OutHit {
  const meta = hit.resourceMetadata ?? {};
  const title = pick(meta, 'title');
  // Thumbnails are base64 images: described, never passed on.
  const thumbnails = hit.thumbnails.map((t) => ({
    ...(typeof t.pageNumber === 'number' ? { pageNumber: t.pageNumber } : {}),
    ...((t.mediaType ?? t.mimeType) ? { mediaType: (t.mediaType ?? t.mimeType)! } : {}),
    ...(t.content ? { bytes: base64Bytes(t.content) } : {}),
  }));
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (wanted.has(k.toLowerCase()) && v !== null && v !== undefined) metadata[k] = String(v);
  const label = labelOf(hit.sensitivityLabel);
  return {
    url,
    ...(title ? { title } : {}),
    source,
    resourceType: hit.resourceType ?? 'unknown',
    extracts: extracts.map((e) => ({
      text: e.text,
      ...(e.relevanceScore === undefined || e.relevanceScore === null ? {} : { relevanceScore: rounded(e.relevanceScore) }),
      ...(e.pageNumbers.length ? { pageNumbers: e.pageNumbers } : {}),
    })),
    ...(label ? { sensitivityLabel: label } : {}),
    ...(thumbnails.length ? { thumbnails } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

/** The decoded size of a base64 payload (the docs' example prefixes it with "base64"). */
function base64Bytes(content: string): number {
  const data = content.replace(/^base64/, '').replace(/[^A-Za-z0-9+/]/g, '');
  return Math.floor((data.length * 3) / 4);
}

function pick(meta: Record<string, unknown>, key: string): string | undefined {
  for (const [k, v] of Object.entries(meta)) if (k.toLowerCase() === key && typeof v === 'string' && v) return v;
  return undefined;
}
