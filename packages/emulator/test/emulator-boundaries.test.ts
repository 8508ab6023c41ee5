import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The emulator is a unit of its own: its sources import only each other, Node's builtins and the
 * dependencies its package.json declares. Never the server (which would make the tests agree with
 * the client's mistakes), never a package it only finds because the workspace root installed it.
 */
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(PACKAGE, 'src');
const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every module specifier of a file: static imports, re-exports and dynamic imports. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

describe('what the emulator imports', () => {
  const files = sources(SRC);

  it('finds its sources', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('only its own modules, builtins and its declared dependencies', () => {
    const declared = new Set(Object.keys(manifest.dependencies));
    const outside: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const where = `${relative(PACKAGE, file)} imports ${spec}`;
        if (spec.startsWith('.')) {
          if (relative(SRC, resolve(dirname(file), spec)).startsWith('..')) outside.push(where);
        } else if (!isBuiltin(spec) && !declared.has(spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'))) {
          outside.push(where);
        }
      }
    }
    expect(outside).toEqual([]);
  });
});
