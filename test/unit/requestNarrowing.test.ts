import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { narrowForRequest, selectTools } from '../../src/tools/selection.js';

/** The X-MCP-Toolsets / X-MCP-Tools rule: a request narrows within the server's selection, never widens it. */
const offered = selectTools({ cloud: 'global', enableBeta: false, transport: 'http' }).offered;
const names = (tools: readonly { name: string }[]) => tools.map((t) => t.name).sort();
const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('narrowForRequest', () => {
  it('offers everything the server offers when the request names nothing', () => {
    expect(narrowForRequest(offered, { tools: [], toolsets: [] })).toBe(offered);
  });

  it('keeps tools named directly or through their toolset', () => {
    expect(names(narrowForRequest(offered, { tools: ['copilot_status'], toolsets: [] }))).toEqual(['copilot_status']);
    expect(names(narrowForRequest(offered, { tools: ['copilot_status'], toolsets: ['compliance'] }))).toEqual(['copilot_export_interactions', 'copilot_status']);
  });

  it('never widens: a tool this server leaves out stays out, with a reason', () => {
    const narrowServer = selectTools({ cloud: 'global', enableBeta: false, transport: 'http', tools: ['copilot_status'] }).offered;
    const err = refusal(() => narrowForRequest(narrowServer, { tools: ['copilot_retrieve'], toolsets: [] }));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain('tool copilot_retrieve is not offered by this server');
    expect(err.nextStep).toContain('copilot_status');
    expect(err.nextStep).not.toContain('copilot_retrieve');
  });

  it('refuses unknown names, all of them at once', () => {
    const err = refusal(() => narrowForRequest(offered, { tools: ['nope'], toolsets: ['everything', 'chat'] }));
    expect(err.message).toContain('unknown tool nope');
    expect(err.message).toContain('unknown toolset everything');
    expect(err.message).toContain('toolset chat has no tool this server offers');
  });
});
