import { AnyEmulatorDescriptorSchema, startEmulator, type RunningEmulator } from 'm365-copilot-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { EmulatorFileSchema } from '../../src/config/emulatorFile.js';

/**
 * The emulator's JSON line is a wire contract between two programs that keep their own schemas:
 * the emulator's writer schema and the server's reader schema. They must describe the same line.
 */
describe('the emulator file: writer and reader agree', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ users: 10 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('describe the same JSON (every field, type and requirement)', () => {
    expect(z.toJSONSchema(EmulatorFileSchema)).toEqual(z.toJSONSchema(AnyEmulatorDescriptorSchema));
  });

  it('the server reads back, unchanged, the line a running emulator prints', () => {
    const line = JSON.stringify(emulator.descriptor);
    expect(EmulatorFileSchema.parse(JSON.parse(line))).toEqual(emulator.descriptor);
  });
});
