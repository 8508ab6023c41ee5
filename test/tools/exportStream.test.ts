import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectHttpClient, mintToken, startHttpServerProcess } from '../helpers/httpServer.js';
import { tapNotifications, textOf, type ToolResult } from '../helpers/mcpClients.js';
import { CLI } from '../helpers/paths.js';
import { factsOf } from './facts.js';

/**
 * `copilot_export_interactions_to_file`, end to end: the built server over stdio, the
 * emulator as a separate process, files on disk. Counts are exact; nothing depends on timing except
 * "kill/cancel after the first progress", and that only decides how far the first run got.
 */
const EXPORT_ROUTE = 'GET /copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions';

type Line = { user: { id: string; upn?: string }; app: string; sessionId: string; requestId?: string; id: string; time: string; type: string; text: string };
type FileOut = {
  count: number;
  exchanges?: unknown;
  user?: unknown;
  file: { path: string; cursorFile: string; bytes: number; interactions: number; pages: number; complete: boolean; resumed: boolean; discardedBytes: number; users: { id: string; upn?: string; interactions: number; complete: boolean }[] };
};
type PageOut = { count: number; exchanges: { interactions: { id: string }[] }[]; nextCursor?: string };
type Cursor = { bytes: number; lines: number; complete: boolean; users: { next: string | null }[] };

let emulator: EmulatorProcess;
let facts: TenantFacts;
let dir: string;
const servers: Server[] = [];

interface Server {
  pid: number;
  /** Page mode (copilot_export_interactions). */
  page(args: Record<string, unknown>): Promise<ToolResult>;
  /** File mode (copilot_export_interactions_to_file). */
  call(args: Record<string, unknown>, opts?: { onprogress?: (p: { progress: number; total?: number; message?: string }) => void; signal?: AbortSignal }): Promise<ToolResult>;
  /** Progress values on the wire since the server started (the SDK client can drop the last ones; see tapNotifications). */
  progressOnWire(): { progress: number; total?: number }[];
  close(): Promise<void>;
}

/** A server process of our own, so a test can SIGKILL it by pid. */
async function startServer(): Promise<Server> {
  const state = mkdtempSync(join(tmpdir(), 'm365-export-state-'));
  const env: Record<string, string> = { HOME: state, M365_COPILOT_MCP_STATE_DIR: state, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
  if (process.env['PATH']) env['PATH'] = process.env['PATH'];
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--emulator', emulator.file, '--sign-in-wait', '0', '--export-dir', dir], env, stderr: 'pipe' });
  const client = new Client({ name: 'export-stream-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  const notifications = tapNotifications(transport as never);
  const server: Server = {
    progressOnWire: () => notifications().filter((n) => n.method === 'notifications/progress').map((n) => n.params as { progress: number; total?: number }),
    pid: transport.pid!,
    page: (args) => client.callTool({ name: 'copilot_export_interactions', arguments: args }, { timeout: 120_000 }) as Promise<ToolResult>,
    call: (args, opts = {}) =>
      client.callTool({ name: 'copilot_export_interactions_to_file', arguments: args }, { ...(opts.onprogress ? { onprogress: opts.onprogress } : {}), ...(opts.signal ? { signal: opts.signal } : {}), timeout: 120_000 }) as Promise<ToolResult>,
    close: async () => {
      await client.close().catch(() => undefined);
      rmSync(state, { recursive: true, force: true });
    },
  };
  servers.push(server);
  return server;
}

function readLines(file: string): Line[] {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n'), 'the file ends with a complete line').toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

const ids = (lines: Line[]) => lines.map((l) => l.id);
const cursorOf = (file: string) => JSON.parse(readFileSync(`${file}.cursor.json`, 'utf8')) as Cursor;
/** Injected faults are counted under the route's `…()` spelling, answered requests under the router's: sum both. */
const onExportRoute = (byRoute: Record<string, Record<string, number>>): Record<string, number> => {
  const sum: Record<string, number> = {};
  for (const [route, counts] of Object.entries(byRoute)) {
    if (route !== EXPORT_ROUTE && route !== `${EXPORT_ROUTE}()`) continue;
    for (const [k, v] of Object.entries(counts)) sum[k] = (sum[k] ?? 0) + v;
  }
  return sum;
};
const exportRequests = async () => Object.values(onExportRoute((await emulator.stats()).graphRequests.byRoute)).reduce((a, b) => a + b, 0);
const faultsOnExport = async () => onExportRoute(((await emulator.stats()) as unknown as { faults: { byRoute: Record<string, Record<string, number>> } }).faults.byRoute);
const setFaults = (rule: Record<string, unknown>) => emulator.control('/faults', { seed: 11, routes: { [EXPORT_ROUTE]: rule } });
const clearFaults = () => emulator.control('/faults/clear', {});

/** Page mode, cursor after cursor: the independent oracle for one user's interaction ids. */
async function pageModeIds(server: Server, userId: string): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const r = await server.page({ userId, limit: 1000, ...(cursor ? { cursor } : {}) });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = r.structuredContent as PageOut;
    for (const ex of s.exchanges) for (const i of ex.interactions) seen.push(i.id);
    cursor = s.nextCursor;
  } while (cursor);
  return seen;
}

/** Starts an export and resolves at its first progress notification, with the call still running. */
function startUntilFirstProgress(server: Server, args: Record<string, unknown>, signal?: AbortSignal): { firstProgress: Promise<number>; result: Promise<ToolResult> } {
  let onFirst!: (n: number) => void;
  const firstProgress = new Promise<number>((r) => (onFirst = r));
  const result = server.call(args, { onprogress: (p) => onFirst(p.progress), ...(signal ? { signal } : {}) });
  result.catch(() => undefined);
  return { firstProgress, result };
}

beforeAll(async () => {
  emulator = await useSharedEmulator({ deviceCodeIntervalSec: 1 });
  facts = await factsOf(emulator);
  dir = mkdtempSync(join(tmpdir(), 'm365-export-out-'));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await emulator?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('copilot_export_interactions_to_file (stdio)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer();
  });

  it('writes every interaction of the user once, one valid JSON object per line, with progress and counts only', async () => {
    const n = facts.interactions.total;
    const file = join(dir, 'one-user.jsonl');
    const r = await server.call({ userIds: [facts.interactions.user.id], outputFile: file }, { onprogress: () => {} });
    const progress = server.progressOnWire();
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = r.structuredContent as FileOut;
    expect(s.count).toBe(n);
    expect(s.exchanges).toBeUndefined();
    expect(JSON.stringify(s)).not.toMatch(/"text"/);
    expect(s.file).toMatchObject({ path: file, cursorFile: `${file}.cursor.json`, interactions: n, complete: true, resumed: false, discardedBytes: 0, pages: Math.ceil(n / 100) });
    expect(s.file.users).toEqual([{ id: facts.interactions.user.id, interactions: n, complete: true }]);

    const lines = readLines(file);
    expect(lines).toHaveLength(n);
    expect(new Set(ids(lines)).size).toBe(n);
    expect(statSync(file).size).toBe(s.file.bytes);
    for (const l of lines) {
      expect(l.user.id).toBe(facts.interactions.user.id);
      expect(typeof l.app).toBe('string');
      expect(typeof l.sessionId).toBe('string');
      expect(['prompt', 'response', 'other']).toContain(l.type);
    }
    // The same shaped interactions page mode returns: every id, nothing more.
    expect(new Set(ids(lines))).toEqual(new Set(await pageModeIds(server, facts.interactions.user.id)));

    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((p, i) => p.total === undefined && (i === 0 || p.progress > progress[i - 1]!.progress))).toBe(true);
    expect(progress.at(-1)!.progress).toBe(n);
    expect(cursorOf(file)).toMatchObject({ bytes: s.file.bytes, lines: n, complete: true });
    expect(existsSync(`${file}.lock`)).toBe(false);

    // Asking again is answered from the cursor: nothing fetched, nothing written.
    const before = await exportRequests();
    const again = await server.call({ userIds: [facts.interactions.user.id], outputFile: file });
    expect(again.isError, textOf(again)).toBeFalsy();
    expect((again.structuredContent as FileOut).file).toMatchObject({ pages: 0, complete: true, interactions: n, resumed: true });
    expect(textOf(again)).toMatch(/already complete/);
    expect(await exportRequests()).toBe(before);
    expect(statSync(file).size).toBe(s.file.bytes);
  });

  it('refuses a file that is not its export (even with overwrite), and a different query on one that is; overwrite starts its own export over', async () => {
    const foreign = join(dir, 'notes.jsonl');
    writeFileSync(foreign, 'my own notes\n');
    for (const overwrite of [undefined, true]) {
      const refused = await server.call({ userIds: [facts.interactions.user.id], outputFile: foreign, ...(overwrite ? { overwrite } : {}) });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/\[InvalidArgument\].*already exists and has no export cursor/);
      expect(readFileSync(foreign, 'utf8')).toBe('my own notes\n');
    }

    const exported = join(dir, 'one-user.jsonl'); // complete, from the test above
    const size = statSync(exported).size;
    const other = await server.call({ userIds: [facts.interactions.user.id], appClass: ['word'], outputFile: exported });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toMatch(/holds a different export/);
    expect(textOf(other)).toMatch(/overwrite: true/);
    expect(statSync(exported).size).toBe(size);

    const replaced = await server.call({ userIds: [facts.interactions.user.id], appClass: ['word'], outputFile: exported, overwrite: true });
    expect(replaced.isError, textOf(replaced)).toBeFalsy();
    const words = Object.entries(facts.interactions.byAppClass).find(([k]) => k.endsWith('.Word'))![1];
    const lines = readLines(exported);
    expect(lines).toHaveLength(words);
    expect(lines.every((l) => l.app === 'word')).toBe(true);
  });

  it('refuses arguments that do not fit file mode before any Graph request', async () => {
    await emulator.resetStats();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ userIds: [facts.interactions.user.id], outputFile: '../out.jsonl' }, /outside the export directory/],
      [{ userIds: [facts.interactions.user.id], outputFile: join(tmpdir(), 'elsewhere.jsonl') }, /outside the export directory/],
      [{ userIds: [facts.interactions.user.id] }, /outputFile/],
      [{ outputFile: 'x.jsonl' }, /userIds/],
      [{ userIds: [facts.interactions.user.id], outputFile: 'x.jsonl.cursor.json' }, /ends like a file the export writes/],
      [{ userIds: [facts.interactions.user.id], outputFile: join('no-such-dir', 'x.jsonl') }, /does not exist inside the export directory/],
    ];
    for (const [args, pattern] of cases) {
      const r = await server.call(args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(r)).toMatch(pattern);
    }
    expect((await emulator.stats()).graphRequests.total).toBe(0);
  });

  it('still writes exactly N unique interactions when Graph throttles, fails, resets and truncates', async () => {
    const n = facts.interactions.total;
    await emulator.resetStats();
    await setFaults({ throttle: 0.15, unavailable: 0.1, reset: 0.05, truncated: 0.1, retryAfterSec: 0 });
    const file = join(dir, 'faults.jsonl');
    const r = await server.call({ userIds: [facts.interactions.user.id], outputFile: file });
    await clearFaults();
    expect(r.isError, textOf(r)).toBeFalsy();
    const lines = readLines(file);
    expect(lines).toHaveLength(n);
    expect(new Set(ids(lines)).size).toBe(n);
    const injected = await faultsOnExport();
    for (const kind of ['throttle', 'unavailable', 'reset', 'truncated']) expect(injected[kind], `${kind} injected`).toBeGreaterThan(0);

    // A Retry-After of a whole second is waited out, too.
    await emulator.resetStats();
    await setFaults({ throttle: 1, retryAfterSec: 1, onlyFirst: 2 });
    const slow = join(dir, 'retry-after.jsonl');
    const r2 = await server.call({ userIds: [facts.interactions.user.id], outputFile: slow });
    await clearFaults();
    expect(r2.isError, textOf(r2)).toBeFalsy();
    expect(new Set(ids(readLines(slow))).size).toBe(n);
    expect(readLines(slow)).toHaveLength(n);
    expect(onExportRoute((await emulator.stats()).graphRequests.byRoute)).toEqual({ '429': 2, '200': Math.ceil(n / 100) });
  });

  it('resumes after the server is killed mid-export, even with a page written but not recorded: no duplicates, no gaps', async () => {
    const n = facts.interactions.total;
    const file = join(dir, 'killed.jsonl');
    await setFaults({ slowMs: 150 }); // ≈ 2.5 s for the whole export: the kill lands in the middle
    const victim = await startServer();
    const run = startUntilFirstProgress(victim, { userIds: [facts.interactions.user.id], outputFile: file });
    await run.firstProgress;
    process.kill(victim.pid, 'SIGKILL');
    await expect(run.result).rejects.toThrow();
    await clearFaults();

    const cursor = cursorOf(file);
    expect(cursor.complete).toBe(false);
    expect(cursor.lines).toBeGreaterThan(0);
    expect(cursor.lines).toBeLessThan(n);
    expect(statSync(file).size).toBeGreaterThanOrEqual(cursor.bytes);
    expect(existsSync(`${file}.lock`)).toBe(true); // left by the killed process; the next run must take it over
    // The window the design is for: the process died after appending a page and before recording it
    // (here: lines that are already in the file again, then a torn half line).
    const written = readFileSync(file, 'utf8').slice(0, cursor.bytes).split('\n').slice(0, 5).join('\n');
    appendFileSync(file, `${written}\n{"user":{"id":"half a li`);
    const tail = statSync(file).size - cursor.bytes;

    const next = await startServer();
    const r = await next.call({ userIds: [facts.interactions.user.id], outputFile: file });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = r.structuredContent as FileOut;
    expect(s.file).toMatchObject({ complete: true, resumed: true, discardedBytes: tail, interactions: n });
    expect(s.count).toBe(n - cursor.lines);
    const lines = readLines(file);
    expect(lines).toHaveLength(n);
    expect(new Set(ids(lines)).size).toBe(n);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('a cancelled export sends no further Graph request, leaves a consistent file, and resumes later', async () => {
    const n = facts.interactions.total;
    const file = join(dir, 'cancelled.jsonl');
    await setFaults({ slowMs: 150 });
    // This emulator served the tests before this one too: count from here.
    const before = await exportRequests();
    const ctl = new AbortController();
    const run = startUntilFirstProgress(server, { userIds: [facts.interactions.user.id], outputFile: file }, ctl.signal);
    await run.firstProgress;
    ctl.abort();
    await expect(run.result).rejects.toThrow();
    // A request already on the wire is counted by the emulator when its (slow) answer goes out:
    // wait for the emulator to have answered everything it received (a counter, not a guessed sleep).
    await vi.waitFor(async () => expect((await emulator.stats()).graphRequests.inFlight).toBe(0), { timeout: 20_000, interval: 50 });
    const first = (await exportRequests()) - before;
    await clearFaults();

    const cursor = cursorOf(file);
    expect(cursor.complete).toBe(false);
    expect(cursor.lines).toBeLessThan(n);
    expect(statSync(file).size).toBe(cursor.bytes); // the run stopped at a recorded page boundary
    expect(readLines(file)).toHaveLength(cursor.lines);
    // The cancelled run asked for the pages it wrote (100 interactions each), plus at most the one on the wire when cancelled.
    expect(first).toBeLessThanOrEqual(Math.ceil(cursor.lines / 100) + 1);

    const r = await server.call({ userIds: [facts.interactions.user.id], outputFile: file });
    expect(r.isError, textOf(r)).toBeFalsy();
    const resumed = (r.structuredContent as FileOut).file;
    expect(resumed).toMatchObject({ complete: true, resumed: true, discardedBytes: 0, interactions: n });
    // No request of the cancelled run went on while the resumed one ran: the emulator counted exactly
    // the cancelled run's requests and the resumed run's pages (a leaked page loop would double them).
    await vi.waitFor(async () => expect((await emulator.stats()).graphRequests.inFlight).toBe(0), { timeout: 20_000, interval: 50 });
    expect((await exportRequests()) - before).toBe(first + resumed.pages);
    const lines = readLines(file);
    expect(lines).toHaveLength(n);
    expect(new Set(ids(lines)).size).toBe(n);
  });

  it('maxSeconds stops at a page boundary with complete: false, and the next call finishes', async () => {
    const n = facts.interactions.total;
    const file = join(dir, 'sliced.jsonl');
    await setFaults({ slowMs: 700 });
    const first = await server.call({ userIds: [facts.interactions.user.id], outputFile: file, maxSeconds: 1 });
    await clearFaults();
    expect(first.isError, textOf(first)).toBeFalsy();
    const s = first.structuredContent as FileOut;
    expect(s.file.complete).toBe(false);
    expect(s.file.interactions).toBeLessThan(n);
    expect(textOf(first)).toMatch(/call again with the same arguments/);
    const rest = await server.call({ userIds: [facts.interactions.user.id], outputFile: file });
    expect((rest.structuredContent as FileOut).file).toMatchObject({ complete: true, interactions: n });
    expect(new Set(ids(readLines(file))).size).toBe(n);
  });

  it('page mode: a cursor from a one-sided window continues (the open end is fixed by the first call)', async () => {
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const first = await server.page({ userId: facts.interactions.user.id, since, limit: 5 });
    expect(first.isError, textOf(first)).toBeFalsy();
    const a = first.structuredContent as PageOut & { window: { since: string; until: string } };
    expect(a.nextCursor).toBeTruthy();
    await sleep(20); // "now" has moved on
    const second = await server.page({ userId: facts.interactions.user.id, since, limit: 5, cursor: a.nextCursor });
    expect(second.isError, textOf(second)).toBeFalsy();
    const b = second.structuredContent as PageOut & { window: { since: string; until: string } };
    expect(b.window).toEqual(a.window);
    const firstIds = a.exchanges.flatMap((e) => e.interactions.map((i) => i.id));
    const secondIds = b.exchanges.flatMap((e) => e.interactions.map((i) => i.id));
    expect(secondIds.length).toBeGreaterThan(0);
    expect(secondIds.some((id) => firstIds.includes(id))).toBe(false);
  });

  it('several users go to one file, each line naming its user, every interaction of each present once', async () => {
    const a = facts.interactions.user;
    const b = emulator.descriptor.users.find((u) => u.copilotLicense && u.id !== a.id)!;
    const expected = new Map([
      [a.id, new Set(await pageModeIds(server, a.id))],
      [b.id, new Set(await pageModeIds(server, b.id))],
    ]);
    const file = join(dir, 'two-users.jsonl');
    // One by object id, one by UPN: both forms resolve to the same kind of line.
    const started = performance.now();
    const r = await server.call({ userIds: [a.id, b.upn], outputFile: file });
    const elapsedMs = performance.now() - started;
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = r.structuredContent as FileOut;
    // The export rate limit is on this path (a lower bound only, so a slow machine cannot fail it):
    // beyond a burst of 6, requests go out at 24/s at most.
    expect(elapsedMs).toBeGreaterThanOrEqual(((s.file.pages - 6) / 24) * 1000 - 50);
    expect(s.file.users).toEqual([
      { id: a.id, interactions: expected.get(a.id)!.size, complete: true },
      { id: b.id, upn: b.upn, interactions: expected.get(b.id)!.size, complete: true },
    ]);
    const lines = readLines(file);
    expect(lines).toHaveLength(expected.get(a.id)!.size + expected.get(b.id)!.size);
    for (const [user, want] of expected) {
      const got = lines.filter((l) => l.user.id === user).map((l) => l.id);
      expect(got).toHaveLength(want.size);
      expect(new Set(got)).toEqual(want);
    }
    expect(lines.filter((l) => l.user.id === b.id).every((l) => l.user.upn === b.upn)).toBe(true);
  });
});

describe('file export over HTTP', () => {
  it('is not offered (a path would name the server\'s disk), even with --export-dir, and writes nothing', async () => {
    const server = await startHttpServerProcess(['--emulator', emulator.file, '--export-dir', dir]);
    try {
      const client = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: emulator.descriptor.demoUser }));
      try {
        await emulator.resetStats();
        const file = join(dir, 'over-http.jsonl');
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).not.toContain('copilot_export_interactions_to_file');
        const r = await client.callTool('copilot_export_interactions_to_file', { userIds: [facts.demoUser.id], outputFile: file }).catch((e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
        expect(r.isError).toBe(true);
        expect(textOf(r)).toMatch(/not found|unknown tool/i);
        expect(existsSync(file)).toBe(false);
        expect(await exportRequests()).toBe(0);
        // Page mode still works over HTTP for the caller's own interactions.
        const page = await client.callTool('copilot_export_interactions', { userId: facts.demoUser.id, limit: 5 });
        expect(page.isError, textOf(page)).toBeFalsy();
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
    }
  });
});
