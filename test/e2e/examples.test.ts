/**
 * examples/: each agent-framework example runs as a user would run it (`node examples/X.mjs`), its
 * model a scripted OpenAI-compatible server on loopback (test/helpers/scriptedOpenAI.ts) and its MCP
 * server this CLI with --demo. The model first asks for copilot_retrieve; the test then checks that
 * the tool's result (hits from the emulated tenant) came back to the model in the next request, and
 * that the example printed the final answer built from it. No model is involved: the wiring is.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { startScriptedModel } from '../helpers/scriptedOpenAI.js';

const run = promisify(execFile);
const QUESTION = 'How do I set up the corporate VPN? Cite the documents.';
/** The first document URL in a text (frameworks hand tool results back as text or as JSON of content parts). */
const firstUrl = (text: string) => /https:\/\/[A-Za-z0-9.-]+\/[A-Za-z0-9%._~/()-]+/.exec(text)?.[0];

let home = '';
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'm365-examples-'));
});
afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

describe.each(['langchain.mjs', 'vercel-ai.mjs', 'openai-agents.mjs'])('examples/%s against a scripted OpenAI-compatible model and --demo', (example) => {
  it('calls copilot_retrieve when the model asks, hands the result back to the model, and prints its final answer', async () => {
    const model = await startScriptedModel({
      toolName: 'copilot_retrieve',
      toolArgs: { query: 'How do I set up the corporate VPN?' },
      // Built from the tool result, so the printed answer proves the result reached the model.
      finalAnswer: (result) => `SCRIPTED FINAL ANSWER citing ${firstUrl(result) ?? 'nothing'}`,
    });
    try {
      const env = { PATH: process.env['PATH'] ?? '', HOME: home, OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: 'sk-test-not-a-key', MODEL: 'scripted-model', QUESTION };
      let stdout = '';
      try {
        ({ stdout } = await run(process.execPath, [join(ROOT, 'examples', example)], { cwd: home, env, timeout: 120_000, maxBuffer: 8 * 1024 * 1024 }));
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        throw new Error(`${example} failed (${e.code}); model problems: ${model.problems.join('; ')}\n${e.stderr ?? ''}\n${e.stdout ?? ''}`);
      }
      expect(model.problems).toEqual([]);
      // The first request offered our tools to the model, with the model name from MODEL and the user's question.
      const first = model.requests[0]!;
      expect(first.model).toBe('scripted-model');
      expect(first.tools?.map((t) => t.function.name)).toEqual(expect.arrayContaining(['copilot_retrieve', 'copilot_meeting_insights', 'copilot_status']));
      expect(JSON.stringify(first.messages)).toContain('corporate VPN');
      // The tool ran against the emulated tenant and its answer went back to the model.
      expect(model.toolResults).toHaveLength(1);
      const result = model.toolResults[0]!;
      expect(result.includes('hit(s) for'), result.slice(0, 300)).toBe(true);
      expect(result.includes('Corporate VPN Setup Guide'), result.slice(0, 300)).toBe(true);
      const cited = firstUrl(result);
      expect(cited).toMatch(/^https:\/\/contoso-emu\.sharepoint\.com\/.*VPN/);
      expect(stdout.trim()).toBe(`SCRIPTED FINAL ANSWER citing ${cited}`);
    } finally {
      await model.close();
    }
  }, 150_000);
});
