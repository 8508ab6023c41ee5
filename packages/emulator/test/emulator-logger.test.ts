import { describe, expect, it } from 'vitest';
import { createEmulatorLogger } from '../src/emulatorLogger.js';

describe("the emulator's own logger", () => {
  it('writes one JSON object per line, from its level up, with the base fields', () => {
    const lines: string[] = [];
    const log = createEmulatorLogger('warn', { component: 'emulator' }, (line) => lines.push(line));
    log.info('not shown');
    log.warn('shown', { port: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'shown', component: 'emulator', port: 1 });
  });

  it('keeps the name, message and code of an error (JSON.stringify alone would write {})', () => {
    const lines: string[] = [];
    const err = Object.assign(new Error('router bug'), { code: 'EBUG' });
    createEmulatorLogger('error', {}, (line) => lines.push(line)).error('emulator request failed', { err });
    expect(JSON.parse(lines[0]!).err).toEqual({ name: 'Error', message: 'router bug', code: 'EBUG' });
  });

  it('writes nothing when silent', () => {
    const lines: string[] = [];
    const log = createEmulatorLogger('silent', {}, (line) => lines.push(line));
    log.error('never');
    expect(lines).toEqual([]);
  });
});
