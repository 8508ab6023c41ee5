import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { fuzzScale } from '../helpers/tiers.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { factsOf } from '../tools/facts.js';
import { isJsonRpcLine, Raw, startRawServer, toJsonText, withEra, type Era, type JsonRpcAnswer, type RawServer } from './rawStdio.js';

/**
 * Property-based fuzzing of tool arguments (issue 5): generated argument objects, valid-ish and
 * hostile, sent as tools/call to ONE long-lived server process per protocol era. Every answer must be
 * a success whose structuredContent matches the tool's output schema, or an error that says which
 * argument is wrong (the SDK's input validation, or our InvalidArgument), or another coded tool error
 * with a next step. Never a crash, a hang, an uncoded error text or a non-protocol stdout line.
 *
 * Reproduce a failure with FUZZ_SEED=<seed printed below> (and FUZZ_PATH=<path> from fast-check's report).
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_105);
const PATH = process.env['FUZZ_PATH'];
const BATCH = 25; // cases in flight at once; one property run sends one batch (the regression examples run first, as one more)
/** Full case count in the slow tier (CI), 5 % of it otherwise; FUZZ_SCALE=… overrides (test/helpers/tiers.ts). */
const SCALE = fuzzScale(0.05);
const CASES: Record<Era, number> = { legacy: Math.ceil((10_000 * SCALE) / BATCH) * BATCH, modern: Math.ceil((2_500 * SCALE) / BATCH) * BATCH };
const ANSWER_TIMEOUT_MS = 60_000;

/** An object literal as key/value pairs, so duplicate and "__proto__" keys reach the wire as written. */
class Obj {
  constructor(readonly entries: [string, unknown][]) {}
}
function text(value: unknown): string {
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(text).join(',')}]`;
  return toJsonText(value);
}

// ---- hostile building blocks ----
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'then', 'length', '', ' ', '\u0000', 'Query', 'query ', '$ref'];
const hostileKey = fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const hugeString = fc.constantFrom('q'.repeat(1500), 'q'.repeat(1501), 'é'.repeat(1501), '😀'.repeat(751), 'x'.repeat(70_000), ' '.repeat(2000), '\u0000'.repeat(100), 'a\u0301'.repeat(900));
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.oneof(loneSurrogate, fc.constantFrom('a', '\u202e', '\ufeff', '\u0000', '\n', '"', '\\')), maxLength: 10 }),
  hugeString,
  fc.constantFrom('', ' ', '\t\n', "'; DROP TABLE x; --", "' or ''='", '%00', '%ZZ', '../../../etc/passwd', 'javascript:alert(1)', '${jndi:ldap://x/a}', '{{7*7}}', 'null', 'NaN', '__proto__', 'https://evil.example/', 'http://[::1]:80/', 'file:///etc/passwd'),
);
const nastyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 25, 26, 1000, 1001, 2 ** 31, 2 ** 53 + 2, 1e21, Number.MIN_VALUE, -Number.MAX_VALUE),
);
const deepValue = fc
  .tuple(fc.integer({ min: 50, max: 50_000 }), fc.boolean())
  .map(([n, arrays]) => new Raw(arrays ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`));
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.array(fc.tuple(hostileKey, tie('v')), { maxLength: 5 }).map((e) => new Obj(e)),
  ),
})).v;
const hostile = fc.oneof({ weight: 12, arbitrary: anyValue }, { weight: 1, arbitrary: deepValue });

/** Mostly a plausible value, sometimes anything at all. */
const field = (valid: fc.Arbitrary<unknown>, validWeight = 4) => fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 1, arbitrary: hostile });

/** Each field present or not; extra hostile keys (and duplicates of real ones) now and then, in any order. */
function argumentsOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Obj> {
  const present = Object.entries(fields).map(([k, arb]) => fc.option(arb.map((v) => [k, v] as [string, unknown]), { freq: 2, nil: undefined }));
  const extras = fc.oneof({ weight: 3, arbitrary: fc.constant([] as [string, unknown][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(Object.keys(fields).length ? fc.oneof(hostileKey, fc.constantFrom(...Object.keys(fields))) : hostileKey, hostile), { minLength: 1, maxLength: 3 }) });
  return fc.tuple(fc.tuple(...present), extras, fc.boolean()).map(([fs, ex, extrasFirst]) => {
    const own = fs.filter((f): f is [string, unknown] => f !== undefined);
    return new Obj(extrasFirst ? [...ex, ...own] : [...own, ...ex]);
  });
}

interface Case {
  tool: string;
  /** undefined: no "arguments" member at all. */
  args: unknown;
}

function caseArbitrary(facts: TenantFacts, appNames: string[]): fc.Arbitrary<Case> {
  const m = facts.meetings;
  const isoDate = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).chain((d) =>
    fc.constantFrom(d.toISOString(), d.toISOString().slice(0, 10), d.toISOString().replace('Z', '+02:00'), d.toISOString().slice(0, 16)),
  );
  const retrieve = argumentsOf({
    query: field(fc.oneof(fc.constantFrom(facts.vpnGuide.query, facts.kqlExample.query, 'onboarding'), fc.string({ minLength: 1, maxLength: 60 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }))),
    sources: field(fc.oneof(fc.subarray(['sharePoint', 'oneDriveBusiness', 'externalItem']), fc.array(fc.constantFrom('sharePoint', 'oneDriveBusiness', 'externalItem', 'SharePoint', 'intranet', ''), { maxLength: 5 }))),
    connectionIds: field(fc.oneof(fc.constant([facts.connector.connection.id]), fc.array(fc.string({ maxLength: 20 }), { maxLength: 22 }))),
    filter: field(fc.oneof(fc.constantFrom('FileExtension:"pdf"', 'LastModifiedTime>=2025-01-01', 'Author:"x" AND (', '((((', 'NOT NOT', '"', 'Path:"https://evil.example/"'), fc.string({ maxLength: 80 }))),
    metadata: field(fc.array(fc.oneof(fc.constantFrom('author', 'lastModifiedTime', 'title', 'Title', '__proto__', 'constructor', 'toString'), fc.string({ maxLength: 70 })), { maxLength: 22 })),
    maxResults: field(fc.oneof(fc.integer({ min: 1, max: 25 }), fc.integer({ min: -5, max: 40 }))),
  });
  const insights = argumentsOf({
    joinUrl: field(fc.oneof(fc.constantFrom(m.withInsights.meeting.joinWebUrl, m.notReady.joinWebUrl, m.noTranscript.joinWebUrl, 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0'), fc.webUrl(), fc.string({ maxLength: 30 }))),
    meetingId: field(fc.oneof(fc.constantFrom(m.withInsights.meeting.id, m.twoTranscripts.id, m.notAttended.id), fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }))),
    latest: field(fc.constantFrom(true, false, 'true', 1)),
    insightId: field(fc.oneof(fc.constant(m.withInsights.insight.id), fc.string({ minLength: 1, maxLength: 40 }))),
  });
  const exportArgs = argumentsOf({
    userId: field(fc.oneof(fc.constantFrom(facts.interactions.user.id, facts.interactions.user.upn, facts.licensedUser.upn), fc.uuid(), fc.emailAddress(), fc.string({ maxLength: 40 }))),
    appClass: field(fc.oneof(fc.subarray(appNames, { minLength: 1 }), fc.array(fc.oneof(fc.constantFrom(...appNames), fc.string({ maxLength: 12 })), { maxLength: 4 }))),
    since: field(fc.oneof(isoDate, fc.constantFrom('2026-13-45', 'yesterday', '2026-02-30', '2026-11-01T25:00:00Z', ''))),
    until: field(fc.oneof(isoDate, fc.constantFrom('2026-13-45', 'now', '9999-12-31', '0000-01-01'))),
    limit: field(fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: -5, max: 1005 }))),
    cursor: field(fc.oneof(fc.base64String({ maxLength: 60 }), fc.string({ minLength: 1, maxLength: 40 }), fc.constant(Buffer.from(JSON.stringify({ v: 1, q: 'x', u: 'https://evil.example/', s: 0 })).toString('base64url')))),
  });
  const status = argumentsOf({});
  const toolCase = (tool: string, args: fc.Arbitrary<Obj>) =>
    fc.oneof(
      { weight: 17, arbitrary: args.map((a): Case => ({ tool, args: a })) },
      { weight: 1, arbitrary: fc.constant<Case>({ tool, args: undefined }) },
      { weight: 2, arbitrary: hostile.map((a): Case => ({ tool, args: a })) },
    );
  return fc.oneof(
    { weight: 8, arbitrary: toolCase('copilot_retrieve', retrieve) },
    { weight: 6, arbitrary: toolCase('copilot_meeting_insights', insights) },
    { weight: 6, arbitrary: toolCase('copilot_export_interactions', exportArgs) },
    { weight: 2, arbitrary: toolCase('copilot_status', status) },
    { weight: 1, arbitrary: fc.constantFrom('copilot_nope', '', '__proto__', 'constructor', 'toString', 'COPILOT_STATUS').map((tool): Case => ({ tool, args: new Obj([]) })) },
  );
}

/** Inputs that once broke the server; they run before the generated ones, every time. */
const REGRESSIONS = (facts: TenantFacts): Case[] => [
  // zod's length check threw on an object whose `length` is not comparable: the answer was the bare TypeError text.
  { tool: 'copilot_export_interactions', args: new Obj([['cursor', new Obj([['length', new Obj([['toString', '']])]])], ['__proto__', '']]) },
  { tool: 'copilot_retrieve', args: new Obj([['query', new Obj([['length', new Obj([])]])]]) },
  { tool: 'copilot_retrieve', args: new Obj([['query', 'vpn'], ['sources', new Obj([['length', new Obj([['valueOf', '']])]])]]) },
  // A "." or ".." id was dropped by URL parsing, so the request went to another Graph resource (a confusing 400).
  { tool: 'copilot_meeting_insights', args: new Obj([['meetingId', '..']]) },
  { tool: 'copilot_meeting_insights', args: new Obj([['meetingId', '.']]) },
  { tool: 'copilot_meeting_insights', args: new Obj([['meetingId', facts.meetings.withInsights.meeting.id], ['insightId', '..']]) },
  // A lone surrogate made encodeURIComponent throw in the tool: the answer was the bare "URI malformed".
  { tool: 'copilot_meeting_insights', args: new Obj([['meetingId', '\ud800']]) },
  { tool: 'copilot_export_interactions', args: new Obj([['userId', 'a\udc00b@contoso.example']]) },
];

/** The format of src/tools/result.ts: a stable code, the message, then the next step. */
const TOOL_ERROR = /^Error \[([A-Za-z]+)\]: .+\nNext step: .+/s;
/** The server validates arguments itself (so a refusal is audited): InvalidArgument, naming the tool and each argument. */
const VALIDATION = /^Error \[InvalidArgument\]: invalid arguments for ([\w-]+): /;

interface Tally {
  success: number;
  validation: number;
  jsonRpcError: number;
  toolErrors: Record<string, number>;
  /** The first few calls per tool error code, for the summary. */
  samples: Record<string, string[]>;
}

interface ToolInfo {
  argNames: string[];
  validate: (v: unknown) => { valid: boolean; errorMessage?: string | undefined };
}

/** The top-level string values of generated arguments. */
function sentStrings(args: unknown): string[] {
  return args instanceof Obj ? args.entries.map(([, v]) => v).filter((v): v is string => typeof v === 'string' && v.length > 0) : [];
}

/** Undefined when the answer is acceptable, else what is wrong with it. */
function judge(c: Case, answer: JsonRpcAnswer, tools: Map<string, ToolInfo>, tally: Tally): string | undefined {
  const tool = tools.get(c.tool);
  if (answer.error) {
    tally.jsonRpcError++;
    if (answer.error.code !== -32602) return `JSON-RPC error ${answer.error.code} (expected -32602 InvalidParams): ${answer.error.message}`;
    const msg = answer.error.message;
    if (!tool) return msg.includes(c.tool) || c.tool === '' ? undefined : `unknown tool error does not name the tool: ${msg}`;
    return /\barguments\b/.test(msg) ? undefined : `JSON-RPC error does not name the offending argument: ${msg}`;
  }
  const result = answer.result;
  if (!result) return `neither result nor error: ${JSON.stringify(answer).slice(0, 300)}`;
  if (!tool) return `unknown tool ${JSON.stringify(c.tool)} answered with a result: ${JSON.stringify(result).slice(0, 300)}`;
  const content = result['content'] as { type: string; text?: string }[] | undefined;
  const body = (content ?? []).map((x) => x.text ?? '').join('\n');
  if (result['isError'] === true) {
    const v = VALIDATION.exec(body);
    if (v) {
      tally.validation++;
      if (v[1] !== c.tool) return `validation error names another tool: ${body.slice(0, 300)}`;
      const rest = body.slice(v[0].length);
      return tool.argNames.some((n) => rest.includes(n)) ? undefined : `validation error names no argument of ${c.tool}: ${body.slice(0, 400)}`;
    }
    const code = TOOL_ERROR.exec(body)?.[1];
    if (!code) return `error result without a code and a next step: ${body.slice(0, 400)}`;
    tally.toolErrors[code] = (tally.toolErrors[code] ?? 0) + 1;
    const seen = (tally.samples[code] ??= []);
    if (seen.length < (code === "GraphError" ? 12 : 3)) seen.push(`${text(c.args).slice(0, 200)} → ${body.slice(0, 200)}`);
    // By name, or by quoting the value (the Graph layer refuses a "." or ".." id without knowing which argument it came from).
    if (code === 'InvalidArgument' && !tool.argNames.some((n) => body.includes(n)) && !sentStrings(c.args).some((v) => body.includes(JSON.stringify(v))))
      return `InvalidArgument names no argument of ${c.tool}: ${body.slice(0, 400)}`;
    return undefined;
  }
  tally.success++;
  if (!body) return 'success without text content';
  const verdict = tool.validate(result['structuredContent']);
  return verdict.valid ? undefined : `structuredContent does not match the output schema: ${verdict.errorMessage}`;
}

let emulator: EmulatorProcess;
let facts: TenantFacts;

beforeAll(async () => {
  emulator = await startEmulatorProcess(['--auto-approve', 'demo', '--device-code-interval', '1', '--retrieval-budget', '1000000']);
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

describe.each(['legacy', 'modern'] as const)('tool arguments fuzz, %s era', (era) => {
  let server: RawServer;
  beforeAll(async () => {
    server = await startRawServer(['--emulator', emulator.file, '--sign-in-wait', '20', '--graph-timeout', '10', '--log-level', 'warn'], {
      era,
      env: { M365_COPILOT_MCP_RETRIEVAL_BUDGET_PER_HOUR: '1000000' },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`${CASES[era].toLocaleString('en')} generated argument objects: no crash, every answer valid or naming the bad argument`, { timeout: 900_000 }, async () => {
    // Sign in first (the emulator approves the device code), so generated calls meet a ready server.
    const first = await server.request('tools/call', withEra(era, JSON.stringify({ name: 'copilot_status', arguments: {} })), ANSWER_TIMEOUT_MS);
    expect(first.result?.['isError'], JSON.stringify(first).slice(0, 500)).toBeFalsy();

    const listed = await server.request('tools/list', withEra(era, '{}'));
    const listedTools = (listed.result?.['tools'] ?? []) as { name: string; inputSchema: { properties?: Record<string, { items?: { enum?: string[] } }> }; outputSchema: object }[];
    const validator = new AjvJsonSchemaValidator();
    const tools = new Map<string, ToolInfo>(
      listedTools.map((t) => [t.name, { argNames: Object.keys(t.inputSchema.properties ?? {}), validate: validator.getValidator(t.outputSchema as never) }]),
    );
    expect([...tools.keys()].sort()).toEqual(['copilot_export_interactions', 'copilot_meeting_insights', 'copilot_retrieve', 'copilot_status', 'copilot_usage_report']);
    const appNames = listedTools.find((t) => t.name === 'copilot_export_interactions')!.inputSchema.properties!['appClass']!.items!.enum!;

    await emulator.resetStats();
    const tally: Tally = { success: 0, validation: 0, jsonRpcError: 0, toolErrors: {}, samples: {} };
    let sent = 0;
    const seed = era === 'legacy' ? SEED : SEED + 1;
    console.log(`tool arguments fuzz (${era}): fast-check seed ${seed}${PATH ? `, path ${PATH}` : ''}`);

    const property = fc.asyncProperty(fc.array(caseArbitrary(facts, appNames), { minLength: BATCH, maxLength: BATCH }), async (cases) => {
      const answers = await Promise.all(
        cases.map(async (c) => {
          const params = `{"name":${JSON.stringify(c.tool)}${c.args === undefined ? '' : `,"arguments":${text(c.args)}`}}`;
          sent++;
          try {
            return { c, params, answer: await server.request('tools/call', withEra(era, params), ANSWER_TIMEOUT_MS) };
          } catch (err) {
            return { c, params, failure: (err as Error).message };
          }
        }),
      );
      const problems: string[] = [];
      for (const a of answers) {
        const why = 'failure' in a ? a.failure : judge(a.c, a.answer!, tools, tally);
        if (why) problems.push(`${why}\n    sent: ${a.params.length > 600 ? `${a.params.slice(0, 600)}… (${a.params.length} chars)` : a.params}`);
      }
      if (!server.alive()) problems.push(`server process exited; stderr tail:\n${server.stderr().slice(-3000)}`);
      if (problems.length) throw new Error(problems.join('\n'));
    });
    await fc.assert(property, { seed, numRuns: CASES[era] / BATCH + 1, ...(PATH ? { path: PATH } : {}), examples: [[REGRESSIONS(facts)]] });

    const stats = await emulator.stats();
    const crashes = server.stderr().split('\n').filter((l) => /crashed \(bug\)|uncaught|unhandled/i.test(l));
    const badLines = server.stdoutLines.filter((l) => !isJsonRpcLine(l));
    console.log(`tool arguments fuzz (${era}) summary: ${JSON.stringify({ sent, ...tally, graphRequests: stats.graphRequests.total, graphByRoute: stats.graphRequests.byRoute })}`);

    expect(server.alive(), 'server still running').toBe(true);
    expect(crashes, crashes.join('\n')).toEqual([]);
    expect(badLines.slice(0, 5), 'every stdout line is JSON-RPC').toEqual([]);
    // Most generated cases are refused before any Graph call.
    expect(tally.validation + tally.jsonRpcError).toBeGreaterThan(sent / 2);
    expect(tally.success).toBeGreaterThan(0);
    const after = await server.request('tools/call', withEra(era, JSON.stringify({ name: 'copilot_status', arguments: {} })), ANSWER_TIMEOUT_MS);
    expect(after.result?.['isError'], JSON.stringify(after).slice(0, 500)).toBeFalsy();
  });
});
