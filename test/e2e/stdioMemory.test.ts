import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorProcess } from '../helpers/emulatorProcess.js';
import { startHttpServerProcess } from '../helpers/httpServer.js';
import { ROOT } from '../helpers/paths.js';
import { startRawStdio } from '../helpers/rawStdio.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';

/*
 * What keeps a stdio export's peak RSS low (issue 17, bench/exportBench.js), checked on the real server
 * with a probe preloaded into it (test/helpers/memoryProbe.cjs):
 * - src/util/youngGeneration.ts: the CLI stub starts every process with a young generation that does
 *   not grow, and only the stdio server keeps it; HTTP gets V8's growth back.
 * - src/graph/nodeHttpFetch.ts: Graph calls never touch the web Headers/Request/Response/fetch globals,
 *   whose first touch loads Node's bundled undici (~10 MB of RSS).
 * - scripts/bundle.js (httpWithoutWebGetters, MSAL bundled): no ES import of node:http, whose module face
 *   reads node:http's WebSocket getter and so loads undici on Node 22+ even when no global is touched.
 *   That half is a real check on Node 22+ only: .ci/run runs this file on every Node line.
 */
const PROBE = join(ROOT, 'test', 'helpers', 'memoryProbe.cjs');
interface ProbeAnswer {
  newSpaceMb: number;
  touched: { name: string; stack: string }[];
  undiciLoaded: boolean;
}
const probeEnv = () => {
  const state = mkdtempSync(join(tmpdir(), 'm365-mcp-memory-'));
  return { PATH: process.env['PATH'] ?? '', HOME: state, M365_COPILOT_MCP_STATE_DIR: state, M365_COPILOT_MCP_TOKEN_CACHE: 'memory', NODE_OPTIONS: `--require ${PROBE}` };
};

async function probe(child: { kill(signal: NodeJS.Signals): void }, stderr: () => string): Promise<ProbeAnswer> {
  child.kill('SIGUSR2');
  for (let i = 0; i < 200; i++) {
    const m = /memory-probe (\{.*\})/.exec(stderr());
    if (m) return JSON.parse(m[1]!) as ProbeAnswer;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no probe answer; stderr:\n${stderr()}`);
}

let emulator: EmulatorProcess;
beforeAll(async () => {
  emulator = await useSharedEmulator({ autoApproveUpn: 'demo' });
});
afterAll(async () => {
  await emulator?.stop();
});

describe('stdio server memory', () => {
  let seen: ProbeAnswer;
  beforeAll(async () => {
    const exportDir = join(mkdtempSync(join(tmpdir(), 'm365-mcp-memory-out-')), 'out');
    mkdirSync(exportDir);
    const server = startRawStdio(['--emulator', emulator.file, '--log-level', 'warn', '--export-dir', exportDir], probeEnv());
    try {
      server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
      await server.answer(1);
      server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'copilot_retrieve', arguments: { query: 'corporate VPN setup' } } });
      const retrieved = await server.answer(2);
      expect(retrieved.result?.isError, JSON.stringify(retrieved.result?.content)).toBeFalsy();
      const outputFile = join(exportDir, 'export.jsonl');
      const userIds = emulator.descriptor.users.map((u) => u.id);
      server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'copilot_export_interactions_to_file', arguments: { userIds, outputFile } } });
      const exported = await server.answer(3);
      expect(exported.result?.isError, JSON.stringify(exported.result?.content)).toBeFalsy();
      expect(readFileSync(outputFile, 'utf8').length).toBeGreaterThan(0);
      seen = await probe(server, server.stderr);
    } finally {
      server.kill();
    }
  });

  it('never loads the web fetch classes or undici, across a retrieval (signed in through MSAL, whose loopback client imports node:http) and a file export', () => {
    expect(seen.touched, seen.touched.map((t) => `${t.name}\n${t.stack}`).join('\n')).toEqual([]);
    expect(seen.undiciLoaded, `undici loaded on Node ${process.version}`).toBe(false);
  });

  it('keeps its young generation at the starting size across them', () => {
    // V8 starts new_space at 1 MB semi-spaces (2 MB); growth would double it at least once.
    expect(seen.newSpaceMb).toBeLessThanOrEqual(2);
  });

  it('the HTTP server grows its young generation as V8 would (the probe can see growth)', async () => {
    const server = await startHttpServerProcess(['--demo', '--log-level', 'warn'], probeEnv());
    try {
      expect((await probe({ kill: (signal) => process.kill(server.pid, signal) }, server.stderr)).newSpaceMb).toBeGreaterThan(2);
    } finally {
      await server.stop();
    }
  });
});
