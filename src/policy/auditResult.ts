/** What the audit log keeps of a tool's answer: counts and labels, never content. */
export interface ResultSummary {
  /** Hits, interactions, insights… whatever the tool returns a list of. */
  count?: number;
  /** Retrieval: per source, its status and hit count. */
  sources?: { source: string; status: string; hitCount: number; errorCode?: string }[];
  /** Distinct sensitivity labels among the hits, withheld ones included. */
  labels?: { id: string; name?: string; priority?: number; hits: number }[];
  /** Hits whose content the label policy kept from the model. */
  withheld?: number;
  /** The caller's Retrieval budget after the call. */
  budget?: { limit: number; remaining: number };
  /** Meeting insights: ready, notReady, noTranscript, notFound. */
  status?: string;
  /** Export: whether another page remains. */
  more?: boolean;
}

type Json = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** Reads known fields of the structured answer one by one; a field a tool renames is simply absent. */
export function summariseResult(tool: string, structured: unknown): ResultSummary {
  const s = obj(structured);
  switch (tool) {
    case 'copilot_retrieve':
      return retrieval(s);
    case 'copilot_export_interactions': {
      const count = num(s['count']);
      return { ...(count !== undefined ? { count } : {}), more: str(s['nextCursor']) !== undefined };
    }
    case 'copilot_meeting_insights': {
      const status = str(s['status']);
      return { count: list(s['insights']).length, ...(status ? { status } : {}) };
    }
    default:
      return {};
  }
}

function retrieval(s: Json): ResultSummary {
  const hits = list(s['hits']).map(obj);
  const labels = new Map<string, { id: string; name?: string; priority?: number; hits: number }>();
  for (const hit of hits) {
    const label = obj(hit['sensitivityLabel']);
    const id = str(label['id']);
    if (!id) continue;
    const seen = labels.get(id);
    if (seen) seen.hits++;
    else {
      const name = str(label['name']);
      const priority = num(label['priority']);
      labels.set(id, { id, ...(name !== undefined ? { name } : {}), ...(priority !== undefined ? { priority } : {}), hits: 1 });
    }
  }
  const sources = list(s['sources']).map((raw) => {
    const x = obj(raw);
    const errorCode = str(obj(x['error'])['code']);
    return { source: str(x['source']) ?? '?', status: str(x['status']) ?? '?', hitCount: num(x['hitCount']) ?? 0, ...(errorCode ? { errorCode } : {}) };
  });
  const budget = obj(s['budget']);
  const limit = num(budget['limit']);
  const remaining = num(budget['remaining']);
  return {
    count: hits.length,
    sources,
    labels: [...labels.values()],
    withheld: num(s['withheldCount']) ?? 0,
    ...(limit !== undefined && remaining !== undefined ? { budget: { limit, remaining } } : {}),
  };
}
