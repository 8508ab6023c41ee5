/**
 * What a model needs by default from a retrieval answer: the hits that answer the question, not every
 * hit Graph could rank. Graph returns up to 25 hits per source, most of them weak matches that cost the
 * model tokens and invite citing the wrong document. Without an explicit maxResults, copilot_retrieve
 * keeps the hits scoring at least FLOOR_SHARE of the best one, and at most DEFAULT_HITS of them; with
 * maxResults the caller has said how many they want, and gets them all.
 */
export const FLOOR_SHARE = 0.4;
export const DEFAULT_HITS = 10;

interface Scored {
  extracts: { relevanceScore?: number | undefined }[];
}

const bestOf = (h: Scored): number | undefined => {
  const scores = h.extracts.map((e) => e.relevanceScore).filter((s): s is number => s !== undefined);
  return scores.length ? Math.max(...scores) : undefined;
};

/** Hits ranked best first → those kept, and how many were left out. A hit without a score is kept (nothing to judge it by). */
export function keepRelevant<T extends Scored>(ranked: readonly T[], explicitMax: number | undefined): { kept: T[]; leftOut: number } {
  if (explicitMax !== undefined) return { kept: [...ranked], leftOut: 0 };
  const top = ranked.map(bestOf).find((s) => s !== undefined);
  const floor = top === undefined ? 0 : top * FLOOR_SHARE;
  const kept = ranked.filter((h) => (bestOf(h) ?? floor) >= floor).slice(0, DEFAULT_HITS);
  return { kept, leftOut: ranked.length - kept.length };
}
