import { describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/tools/registry.js';

/** A tool's definition is its whole inventory; these hold each part of it to the rest. */
describe.each(TOOLS.map((t) => [t.name, t] as const))('definition of %s', (_name, tool) => {
  const fields = Object.keys(tool.input.shape);

  it('has a valid example for every argument, as its own schema reads it', () => {
    for (const field of fields) expect(Object.hasOwn(tool.examples, field), `${field} has an example`).toBe(true);
    for (const [field, value] of Object.entries(tool.examples)) {
      expect(fields, `${field} is an argument`).toContain(field);
      const parsed = tool.input.shape[field]!.safeParse(value);
      expect(parsed.success, `${field} example ${JSON.stringify(value)}: ${parsed.error?.issues[0]?.message}`).toBe(true);
    }
  });

  it('names every argument in its audit allow-list, and nothing else', () => {
    expect(Object.keys(tool.audited).sort()).toEqual([...fields].sort());
  });

  it('declares where its API exists, and permissions to match its kind', () => {
    expect(tool.api.clouds).toContain('global');
    expect(tool.permissions.delegated.length + tool.permissions.application.length).toBeGreaterThan(0);
    if (!tool.readOnly) expect(tool.destructive, 'a tool that writes says whether it may replace something').toBeDefined();
  });
});
