/**
 * What a model needs by default from a retrieval answer: the hits that answer the question, not every
 * hit Graph could rank. Graph returns up to 25 hits per source, most of them weak matches that cost the
 * model tokens and invite citing the wrong document. Without an explicit maxResults, copilot_retrieve
 * keeps the hits scoring at least FLOOR_SHARE of the best one, and at most DEFAULT_HITS of them; with
 * maxResults the caller has said how many they want, and gets them all.
 */
export const FLOOR_SHARE = 0.4;
export const DEFAULT_HITS = 10;

/**
 * Hits ranked best first → those kept, and how many were left out. `score` is a hit's best relevance
 * score, undefined when it has none: such a hit is kept (nothing to judge it by).
 */
export function keepRelevant<T>(ranked: readonly T[], explicitMax: number | undefined, score: (hit: T) => number | undefined): { kept: T[]; leftOut: number } {
  if (explicitMax !== undefined) return { kept: [...ranked], leftOut: 0 };
  let top: number | undefined;
  for (const h of ranked) if ((top = score(h)) !== undefined) break;
  const floor = top === undefined ? 0 : top * FLOOR_SHARE;
  const kept: T[] = [];
  for (const h of ranked) {
    if (kept.length === DEFAULT_HITS) break;
    if ((score(h) ?? floor) >= floor) kept.push(h);
  }
  return { kept, leftOut: ranked.length - kept.length };
}
