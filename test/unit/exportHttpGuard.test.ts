import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportInteractionsTool } from '../../src/tools/exportInteractions.js';
import type { ToolContext } from '../../src/tools/tool.js';

/**
 * `serve --http` is not wired to a process yet, so the HTTP refusal of outputFile is checked on the
 * handler itself: with transport 'http' it must refuse before touching Graph, the caller check or
 * the disk. Every capability of the context is a trap that fails the test if used.
 */
describe('copilot_export_interactions outputFile over HTTP', () => {
  it('is refused with InvalidArgument saying why, before any Graph request or file access', async () => {
    const used: string[] = [];
    const trap = (name: string) => () => {
      used.push(name);
      throw new Error(`${name} must not be used`);
    };
    const graph = { request: trap('graph.request'), paginate: trap('graph.paginate'), batch: trap('graph.batch') };
    const ctx = {
      graph,
      appGraph: graph,
      whoAmI: trap('whoAmI'),
      caller: trap('caller'),
      authorizeExport: trap('authorizeExport'),
      progress: trap('progress'),
      environment: { transport: 'http', cloud: 'global', graphBaseUrl: 'https://graph.microsoft.com', authority: 'https://login.microsoftonline.com/t', tenantSource: 'cloud', exportConfigured: true, serverVersion: '0' },
      signal: new AbortController().signal,
      log: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } },
    } as unknown as ToolContext;
    const dir = mkdtempSync(join(tmpdir(), 'export-http-guard-'));
    try {
      const outputFile = join(dir, 'export.jsonl');
      const args = exportInteractionsTool.input.parse({ userId: '72f9a03c-9cca-4781-801f-5853b90108f5', outputFile });
      const err = await exportInteractionsTool.handle(args, ctx).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/outputFile is available only when this server runs locally over stdio/) });
      expect((err as { nextStep: string }).nextStep).toMatch(/server's disk, not yours/);
      expect(used).toEqual([]);
      expect(existsSync(outputFile)).toBe(false);
      expect(existsSync(`${outputFile}.lock`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
