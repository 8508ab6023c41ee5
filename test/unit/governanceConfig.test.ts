import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, configFromFlags, resolveConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { auditFilePath, createGovernance } from '../../src/policy/governance.js';

const base = { stateDir: '/tmp/state' };

describe('governance settings', () => {
  it('default to an audit file in the state directory, hashed queries, no withholding and 200 retrievals an hour', () => {
    const c = resolveConfig(base);
    expect(c).toMatchObject({ auditMaxBytes: 10 * 1024 * 1024, auditMaxFiles: 5, auditQueryText: 'hash', withholdLabels: [], retrievalBudgetPerHour: 200 });
    expect(c.withholdLabelPriorityAbove).toBeUndefined();
    expect(auditFilePath(c)).toBe(join('/tmp/state', 'audit.jsonl'));
    const g = createGovernance(c, createLogger('silent'));
    expect(g.audit?.path).toBe(join('/tmp/state', 'audit.jsonl'));
    expect(g.retrievalBudget.limit).toBe(200);
    expect(g.labels).toEqual({ withholdPriorityAbove: undefined, withholdLabels: [] });
  });

  it('read label lists comma-separated from the environment and flags, and as an array from the file', () => {
    expect(resolveConfig(base, configFromEnv({ M365_COPILOT_MCP_WITHHOLD_LABELS: 'Highly Confidential, 1b2c-id ,' })).withholdLabels).toEqual(['Highly Confidential', '1b2c-id']);
    expect(resolveConfig(base, configFromFlags({ 'withhold-labels': 'Secret' })).withholdLabels).toEqual(['Secret']);
    expect(resolveConfig(base, { withholdLabels: ['A', 'B'] }).withholdLabels).toEqual(['A', 'B']);
    expect(resolveConfig(base, configFromFlags({ 'withhold-label-priority-above': '2' })).withholdLabelPriorityAbove).toBe(2);
  });

  it('turn the audit off with "off" and resolve a relative file from the working directory', () => {
    expect(auditFilePath(resolveConfig(base, configFromFlags({ 'audit-file': 'OFF' })))).toBeUndefined();
    expect(createGovernance(resolveConfig(base, { auditFile: 'off' }), createLogger('silent')).audit).toBeUndefined();
    expect(auditFilePath(resolveConfig(base, configFromEnv({ M365_COPILOT_MCP_AUDIT_FILE: 'logs/a.jsonl' })))).toBe(resolve('logs/a.jsonl'));
  });

  it('name the flag and variable of a bad value', () => {
    expect(() => resolveConfig(base, configFromFlags({ 'audit-query-text': 'plain' }))).toThrow(/--audit-query-text \/ M365_COPILOT_MCP_AUDIT_QUERY_TEXT/);
    expect(() => resolveConfig(base, configFromFlags({ 'retrieval-budget-per-hour': '0' }))).toThrow(/--retrieval-budget-per-hour/);
    expect(() => resolveConfig(base, configFromFlags({ 'audit-max-bytes': '10' }))).toThrow(/--audit-max-bytes/);
  });
});
