import { readFileSync } from 'node:fs';
import type { EmulatorDescriptor, SessionSettings } from 'm365-copilot-emulator';
import { inject } from 'vitest';
import { handleFor, startEmulatorProcess, type EmulatorProcess } from './emulatorProcess.js';

/**
 * This worker's emulator (see sharedEmulators.ts), reset to a fresh session with these settings (the
 * same as the emulator's flags: --retrieval-budget, --device-code-interval, --auto-approve,
 * --token-lifetime, --faults). stop() leaves it running for the next file. Outside the integration
 * project (no shared emulators) it starts an emulator of its own.
 */
export async function useSharedEmulator(settings: Partial<SessionSettings> = {}): Promise<EmulatorProcess> {
  const files = inject('sharedEmulatorFiles') as string[] | undefined;
  const file = files?.[Number(process.env['VITEST_POOL_ID'] ?? '0') - 1];
  if (file === undefined) return startEmulatorProcess(flagsFor(settings));
  const descriptor = JSON.parse(readFileSync(file, 'utf8')) as EmulatorDescriptor;
  const emulator = handleFor(descriptor, file, async () => undefined);
  const res = await emulator.control('/reset', settings);
  if (!res.ok) throw new Error(`resetting the shared emulator failed: HTTP ${res.status} ${await res.text()}`);
  return emulator;
}

function flagsFor(s: Partial<SessionSettings>): string[] {
  return [
    ...(s.retrievalBudgetPerHour === undefined ? [] : ['--retrieval-budget', String(s.retrievalBudgetPerHour)]),
    ...(s.deviceCodeIntervalSec === undefined ? [] : ['--device-code-interval', String(s.deviceCodeIntervalSec)]),
    ...(s.accessTokenLifetimeSec === undefined ? [] : ['--token-lifetime', String(s.accessTokenLifetimeSec)]),
    ...(s.autoApproveUpn === undefined ? [] : ['--auto-approve', s.autoApproveUpn]),
    ...(s.faults === undefined ? [] : ['--faults', JSON.stringify(s.faults)]),
  ];
}
