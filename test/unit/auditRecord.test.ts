import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { summariseArguments } from '../../src/policy/auditArgs.js';
import { textRenderer } from '../../src/policy/auditText.js';
import { buildRecord } from '../../src/policy/auditTrail.js';
import { exportInteractionsTool } from '../../src/tools/exportInteractions.js';
import { retrieveTool } from '../../src/tools/retrieve.js';

const key = Buffer.alloc(32, 7);
const facts = (over: Partial<Parameters<typeof buildRecord>[0]> = {}): Parameters<typeof buildRecord>[0] => ({
  tool: 'copilot_retrieve',
  audited: retrieveTool.audited,
  transport: 'stdio',
  caller: { userId: 'u-1', upn: 'u@contoso.example', tenantId: 't-1' },
  args: { query: 'salary bands 2027', sources: ['sharePoint'], maxResults: 5 },
  started: Date.parse('2026-11-26T12:00:00Z'),
  ended: Date.parse('2026-11-26T12:00:00.250Z'),
  graph: [{ method: 'POST', path: '/v1.0/copilot/retrieval', status: 200, requestId: 'r-1' }],
  structured: { hits: [{ url: 'u', extracts: [{ text: 'SECRET CONTENT' }], sensitivityLabel: { id: 'l', name: 'Internal', priority: 1 } }], sources: [{ source: 'sharePoint', status: 'ok', hitCount: 1 }], withheldCount: 0 },
  error: undefined,
  ...over,
});

describe('audit record', () => {
  it('keeps ids, counts and labels; hashes query text; never content', () => {
    const r = buildRecord(facts(), textRenderer('hash', key), 'instance-1');
    expect(r).toMatchObject({
      v: 1,
      tool: 'copilot_retrieve',
      instance: 'instance-1',
      caller: { userId: 'u-1', upn: 'u@contoso.example', tenantId: 't-1' },
      args: { sources: ['sharePoint'], maxResults: 5 },
      outcome: 'ok',
      durationMs: 250,
      graph: [{ requestId: 'r-1', status: 200 }],
      result: { count: 1, withheld: 0, labels: [{ id: 'l', name: 'Internal', priority: 1, hits: 1 }] },
    });
    expect(r.args['query']).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(r)).not.toContain('salary');
    expect(JSON.stringify(r)).not.toContain('SECRET CONTENT');
  });

  it('records full text, or omits it, when configured', () => {
    expect(buildRecord(facts(), textRenderer('full', undefined), 'instance-1').args['query']).toBe('salary bands 2027');
    const omitted = buildRecord(facts(), textRenderer('omit', undefined), 'instance-1');
    expect(omitted.args['query']).toBeUndefined();
    expect(omitted.unrecordedArgs).toEqual(['query']);
  });

  it('records arguments not on the allow-list by name only', () => {
    const s = summariseArguments(retrieveTool.audited, { query: 'q', token: 'eyJhbGciOiJ.secret.value', sources: [{ nested: 'x' }] }, textRenderer('full', undefined));
    expect(s.values).toEqual({ query: 'q', sources: ['[object]'] });
    expect(s.unrecorded).toEqual(['token']);
    expect(summariseArguments({}, { anything: 'value' }, textRenderer('full', undefined))).toEqual({ values: {}, unrecorded: ['anything'] });
    expect(summariseArguments(exportInteractionsTool.audited, { userId: 'u', cursor: 'opaque-cursor' }, textRenderer('hash', key)).values).toEqual({ userId: 'u', cursor: true });
  });

  it('records the error code of a failed call, not its message, and no result', () => {
    const r = buildRecord(facts({ structured: undefined, error: new AppError('Forbidden', 'Graph said: token eyJ... for salary bands') }), textRenderer('hash', key), 'instance-1');
    expect(r).toMatchObject({ outcome: 'error', errorCode: 'Forbidden' });
    expect(r.result).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain('Graph said');
    expect(buildRecord(facts({ error: new TypeError('bug') }), textRenderer('hash', key), 'instance-1').errorCode).toBe('InternalError');
  });
});
