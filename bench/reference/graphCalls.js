// The one Graph request behind each measured tool, shared by both reference servers (bench/reference/*).
// The same requests our copilot_status (GET /me, the same $select) and copilot_retrieve (POST
// /copilot/retrieval, the body it sends for one source) make; a fixed bearer token for Graph, got once
// from the emulator by the bench, comes in the environment. Plain `fetch`, as our Graph client uses.
const base = process.env.BENCH_GRAPH_BASE_URL ?? '';
const token = process.env.BENCH_GRAPH_TOKEN ?? '';
const ME_URL = `${base}/v1.0/me?$select=id,displayName,userPrincipalName`;
const RETRIEVAL_URL = `${base}/v1.0/copilot/retrieval`;
const headers = { accept: 'application/json', authorization: `Bearer ${token}` };
const postHeaders = { ...headers, 'content-type': 'application/json' };

export const SOURCES = ['sharePoint', 'oneDriveBusiness', 'externalItem'];

/** { ok, text }: the Graph answer's body as text, and whether Graph said 2xx. */
async function answer(res) {
  const text = await res.text();
  return { ok: res.ok, text: res.ok ? text : `Graph answered ${res.status}: ${text.slice(0, 500)}` };
}

export async function status() {
  return answer(await fetch(ME_URL, { headers }));
}

export async function retrieve({ query, sources }) {
  const body = JSON.stringify({ queryString: query, dataSource: sources?.[0] ?? 'sharePoint', resourceMetadata: ['title'] });
  return answer(await fetch(RETRIEVAL_URL, { method: 'POST', headers: postHeaders, body }));
}
