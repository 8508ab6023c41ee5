import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditFile } from '../../src/policy/auditFile.js';

const dir = () => mkdtempSync(join(tmpdir(), 'audit-file-'));
const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('audit file', () => {
  it('rotates by size and keeps every record across the current and rotated files, oldest last', async () => {
    const path = join(dir(), 'nested', 'audit.jsonl');
    const file = new AuditFile({ path, maxBytes: 1024, maxFiles: 10 });
    for (let n = 0; n < 100; n++) await file.append({ n, pad: 'x'.repeat(40) });
    await file.close();
    const all = [path, ...Array.from({ length: 10 }, (_, i) => `${path}.${i + 1}`)];
    const perFile = all.map(lines);
    const seen = perFile.flat().map((l) => (JSON.parse(l) as { n: number }).n);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const f of all.filter(existsSync)) expect(statSync(f).size).toBeLessThanOrEqual(1024);
    // .1 is newer than .2: its first record comes after .2's last.
    const first = (ls: string[]) => (JSON.parse(ls[0]!) as { n: number }).n;
    const last = (ls: string[]) => (JSON.parse(ls[ls.length - 1]!) as { n: number }).n;
    expect(first(perFile[1]!)).toBe(last(perFile[2]!) + 1);
    expect(first(perFile[0]!)).toBe(last(perFile[1]!) + 1);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('drops the oldest file beyond maxFiles', async () => {
    const path = join(dir(), 'audit.jsonl');
    const file = new AuditFile({ path, maxBytes: 1024, maxFiles: 2 });
    for (let n = 0; n < 100; n++) await file.append({ n, pad: 'x'.repeat(40) });
    await file.close();
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const kept = [path, `${path}.1`, `${path}.2`].flatMap(lines).map((l) => (JSON.parse(l) as { n: number }).n);
    // What is kept is the newest records, contiguous up to the last one.
    expect(Math.max(...kept)).toBe(99);
    expect(kept.length).toBe(100 - Math.min(...kept));
  });

  it('writes concurrent appends as whole lines, each exactly once', async () => {
    const path = join(dir(), 'audit.jsonl');
    const file = new AuditFile({ path, maxBytes: 10 * 1024 * 1024, maxFiles: 2 });
    await Promise.all(Array.from({ length: 200 }, (_, n) => file.append({ n, text: `${n}`.repeat(500) })));
    await file.close();
    const parsed = lines(path).map((l) => JSON.parse(l) as { n: number; text: string });
    expect(parsed).toHaveLength(200);
    expect(new Set(parsed.map((p) => p.n)).size).toBe(200);
    for (const p of parsed) expect(p.text).toBe(`${p.n}`.repeat(500));
  });

  it('gives a record larger than maxBytes a file of its own', async () => {
    const path = join(dir(), 'audit.jsonl');
    const file = new AuditFile({ path, maxBytes: 1024, maxFiles: 3 });
    await file.append({ n: 0 });
    await file.append({ n: 1, big: 'y'.repeat(3000) });
    await file.append({ n: 2 });
    await file.close();
    expect(lines(`${path}.2`).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([0]);
    expect(lines(`${path}.1`).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([1]);
    expect(lines(path).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([2]);
  });

  it('rejects when the file cannot be written, and recovers once it can', async () => {
    const base = dir();
    const blocker = join(base, 'not-a-dir');
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(blocker, 'x');
    const path = join(blocker, 'audit.jsonl');
    const file = new AuditFile({ path, maxBytes: 4096, maxFiles: 2 });
    await expect(file.append({ n: 0 })).rejects.toThrow();
    rmSync(blocker);
    await file.append({ n: 1 });
    await file.close();
    expect(lines(path)).toEqual(['{"n":1}']);
  });
});
