// Issue 17, answer size and quality: what copilot_retrieve hands the model by default for a fixed set of
// natural questions about the demo tenant, each with the document that answers it (its anchor documents,
// packages/emulator/src/data/anchors.ts). Measured through the built CLI over stdio against an emulator
// process, as a client would see it: o200k tokens of the text and of the structured content per answer,
// whether the top hit is the answering document, and the answer's bytes over the raw Graph JSON of the
// same query (one POST /copilot/retrieval per source searched, as the tool sends them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INIT, median, spawnProbe } from './stdioProbe.js';

/** Question (our own wording) → the title of the demo document that answers it. */
export const QUESTIONS = [
  ['How do I set up the corporate VPN?', 'Corporate VPN Setup Guide'],
  ['What dental cover does our Lakeshore Health plan include?', 'Benefits Enrollment Guide'],
  ['What is our policy for reimbursing business expenses?', 'Expense Reimbursement Policy'],
  ['How do I submit an expense report?', 'Submitting an Expense Report'],
  ['What is the launch plan for Project Nightingale?', 'Project Nightingale Launch Plan (Draft)'],
  ['What is the budget for the Aurora trade show?', 'Aurora Trade Show Budget'],
];

export async function retrievalAnswers(record, { cli, startEmulator, localAuth, resolveConfig, endpointsFromEmulator, createLogger }) {
  const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
  const tokens = (text) => countTokens(text, { disallowedSpecial: new Set() });
  const emulator = await startEmulator({ autoApproveDemoUser: true, retrievalBudgetPerHour: 1_000_000 });
  const dir = mkdtempSync(join(tmpdir(), 'bench-answers-'));
  try {
    const file = join(dir, 'emulator.json');
    writeFileSync(file, JSON.stringify(emulator.descriptor));
    const endpoints = await endpointsFromEmulator(emulator.descriptor);
    const { broker } = localAuth(resolveConfig({ stateDir: dir, signInWaitSeconds: 10 }), endpoints, createLogger('silent'));
    const { accessToken } = await broker.getToken({ flow: 'delegated', scopes: ['Files.Read.All', 'Sites.Read.All'] });
    const rawBytes = async (query, dataSource) => {
      const res = await fetch(`${endpoints.graphBaseUrl}/v1.0/copilot/retrieval`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ queryString: query, dataSource, resourceMetadata: ['title'] }),
      });
      return Buffer.byteLength(await res.text());
    };
    const probe = spawnProbe(process.execPath, [cli, '--emulator', file, '--log-level', 'warn'], { M365_COPILOT_MCP_STATE_DIR: dir });
    const rows = [];
    try {
      await probe.request('initialize', INIT);
      probe.notify('notifications/initialized');
      for (const [query, answer] of QUESTIONS) {
        const r = await probe.request('tools/call', { name: 'copilot_retrieve', arguments: { query } });
        if (r.msg.error || r.msg.result?.isError) throw new Error(`retrieval for "${query}" failed: ${JSON.stringify(r.msg.result?.content ?? r.msg.error)}`);
        const text = r.msg.result.content.map((c) => c.text ?? '').join('');
        const structured = JSON.stringify(r.msg.result.structuredContent);
        const raw = (await rawBytes(query, 'sharePoint')) + (await rawBytes(query, 'oneDriveBusiness'));
        const hits = r.msg.result.structuredContent.hits;
        rows.push({ query, hits: hits.length, textTokens: tokens(text), structuredTokens: tokens(structured), topHit: hits[0]?.title === answer, ratio: (Buffer.byteLength(text) + Buffer.byteLength(structured)) / raw });
      }
    } finally {
      await probe.close();
    }
    const perAnswer = rows.map((r) => r.textTokens + r.structuredTokens);
    record(`retrieval answers (${rows.length} questions, defaults): o200k tokens of text + structured content per answer (median)`, median(perAnswer), 'tokens', {
      questions: rows.map((r) => ({ query: r.query, hits: r.hits, textTokens: r.textTokens, structuredTokens: r.structuredTokens, topHitAnswers: r.topHit })),
    });
    record(`retrieval answers (${rows.length} questions, defaults): hits per answer (median)`, median(rows.map((r) => r.hits)), 'hits');
    record(`retrieval answers (${rows.length} questions, defaults): share whose top hit is the document that answers it`, rows.filter((r) => r.topHit).length / rows.length, 'ratio');
    record(`retrieval answers (${rows.length} questions, defaults): answer bytes (text + structured) / raw Graph JSON bytes (median)`, median(rows.map((r) => r.ratio)), 'ratio', { goal: 0.6 });
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
