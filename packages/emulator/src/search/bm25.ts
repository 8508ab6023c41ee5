/**
 * Okapi BM25 over a fixed set of passages. Built once per corpus; a query returns a sparse map
 * of passage index → score.
 */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

interface Posting {
  ids: number[];
  tfs: number[];
}

export class Bm25Index {
  readonly size: number;
  private readonly postings = new Map<string, Posting>();
  private readonly lengths: Float64Array;
  private readonly averageLength: number;

  constructor(passages: readonly (readonly string[])[]) {
    this.size = passages.length;
    this.lengths = new Float64Array(passages.length);
    let total = 0;
    passages.forEach((terms, id) => {
      this.lengths[id] = terms.length;
      total += terms.length;
      const counts = new Map<string, number>();
      for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
      for (const [term, tf] of counts) {
        let posting = this.postings.get(term);
        if (!posting) {
          posting = { ids: [], tfs: [] };
          this.postings.set(term, posting);
        }
        posting.ids.push(id);
        posting.tfs.push(tf);
      }
    });
    this.averageLength = passages.length > 0 ? Math.max(1, total / passages.length) : 1;
  }

  /** The usual +1 smoothing keeps the IDF positive even for terms in most passages. */
  idf(term: string): number {
    const df = this.postings.get(term)?.ids.length ?? 0;
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  score(queryTerms: readonly string[]): Map<number, number> {
    const scores = new Map<number, number>();
    for (const term of new Set(queryTerms)) {
      const posting = this.postings.get(term);
      if (!posting) continue;
      const idf = this.idf(term);
      for (let i = 0; i < posting.ids.length; i++) {
        const id = posting.ids[i] as number;
        const tf = posting.tfs[i] as number;
        const norm = BM25_K1 * (1 - BM25_B + (BM25_B * (this.lengths[id] as number)) / this.averageLength);
        scores.set(id, (scores.get(id) ?? 0) + (idf * tf * (BM25_K1 + 1)) / (tf + norm));
      }
    }
    return scores;
  }

  /**
   * BM25 weighted by how much of the query a passage covers: (idf of the query terms it holds / idf of
   * all query terms the corpus knows). Plain BM25 sums per-term scores, so a passage that repeats one
   * common query word ("corporate" of "set up the corporate VPN") can outrank one holding the rare,
   * decisive word ("VPN"); search engines reward covering the query, and so does this. Still ≤ maxScore.
   */
  coverageScore(queryTerms: readonly string[]): Map<number, number> {
    const unique = [...new Set(queryTerms)].filter((t) => this.postings.has(t));
    const total = unique.reduce((sum, t) => sum + this.idf(t), 0);
    const scores = this.score(unique);
    if (total <= 0) return scores;
    const covered = new Map<number, number>();
    for (const term of unique) {
      const idf = this.idf(term);
      for (const id of (this.postings.get(term) as Posting).ids) covered.set(id, (covered.get(id) ?? 0) + idf);
    }
    for (const [id, score] of scores) {
      const share = (covered.get(id) ?? 0) / total;
      scores.set(id, score * share);
    }
    return scores;
  }

  /**
   * An upper bound of any passage's score for these terms (each term's tf saturates at k1 + 1);
   * dividing by it maps scores into 0–1. Terms the corpus never saw do not count.
   */
  maxScore(queryTerms: readonly string[]): number {
    let max = 0;
    for (const term of new Set(queryTerms)) {
      if (this.postings.has(term)) max += this.idf(term) * (BM25_K1 + 1);
    }
    return max;
  }
}
