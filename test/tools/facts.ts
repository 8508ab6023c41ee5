import type { TenantFacts } from 'm365-copilot-emulator';
import type { EmulatorProcess } from '../helpers/emulatorProcess.js';

/** Facts about the running emulator's generated tenant, asked of the emulator itself. */
export async function factsOf(emulator: EmulatorProcess): Promise<TenantFacts> {
  const res = await emulator.control('/facts');
  if (res.status !== 200) throw new Error(`GET /_emulator/facts answered ${res.status}`);
  return (await res.json()) as TenantFacts;
}
