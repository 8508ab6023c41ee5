import type { TestProject } from 'vitest/node';
import { startEmulatorProcess, type EmulatorProcess } from './emulatorProcess.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Worker pool id (1-based, as VITEST_POOL_ID) → the emulator file of the emulator that worker uses. */
    sharedEmulatorFiles: string[];
  }
}

/**
 * The integration project's global setup: one emulator process per worker, started once for the run
 * instead of once per test file (generating the tenant and its keys is most of an emulator's start).
 * A test file takes its worker's emulator with useSharedEmulator(), which resets it first; files run
 * one at a time per worker, so a file never sees another's sign-ins, budgets or counters.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workers = Math.max(1, Number(project.globalConfig.maxWorkers) || 1);
  const emulators: EmulatorProcess[] = await Promise.all(Array.from({ length: workers }, () => startEmulatorProcess()));
  project.provide('sharedEmulatorFiles', emulators.map((e) => e.file));
  return async () => {
    await Promise.all(emulators.map((e) => e.stop()));
  };
}
