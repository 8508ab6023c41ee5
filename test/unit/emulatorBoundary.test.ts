import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

/**
 * The server reaches the emulator only through its package's public entry points, by name, and
 * only lazily (a dynamic import for --demo and the emulator command), so start-up never loads it and
 * nothing of the server depends on the emulator's insides. The config layer does not reach it at all.
 */
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const EMULATOR_ENTRY_POINTS = new Set(['m365-copilot-emulator', 'm365-copilot-emulator/cli']);

describe("the server's imports of the emulator", () => {
  const files = sources(SRC).map((file) => ({ file: relative(ROOT, file), text: readFileSync(file, 'utf8') }));

  it('never by path into the emulator package', () => {
    const byPath = files.filter(({ text }) => /['"][^'"]*packages\/emulator[^'"]*['"]/.test(text)).map(({ file }) => file);
    expect(byPath).toEqual([]);
  });

  it('only dynamically (or for types), and only through the public entry points', () => {
    const found: string[] = [];
    for (const { file, text } of files) {
      for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s*['"](m365-copilot-emulator[^'"]*)['"]/gm)) if (!m[2]) found.push(`${file}: static import of ${m[3]}`);
      for (const m of text.matchAll(/import\(\s*['"](m365-copilot-emulator[^'"]*)['"]\s*\)/g)) if (!EMULATOR_ENTRY_POINTS.has(m[1]!)) found.push(`${file}: ${m[1]} is not a public entry point`);
    }
    expect(found).toEqual([]);
    // Not vacuous: --demo and the emulator command do import it.
    expect(files.some(({ text }) => text.includes("import('m365-copilot-emulator')"))).toBe(true);
    expect(files.some(({ text }) => text.includes("import('m365-copilot-emulator/cli')"))).toBe(true);
  });

  it('not at all from the config layer', () => {
    const importsEmulator = (text: string) => /(\bfrom\s*|\bimport\s*\(\s*)['"]m365-copilot-emulator/.test(text);
    expect(files.filter(({ file, text }) => file.startsWith('src/config/') && importsEmulator(text)).map(({ file }) => file)).toEqual([]);
  });
});
