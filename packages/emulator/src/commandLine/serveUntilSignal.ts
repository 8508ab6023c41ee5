import { startEmulator, type EmulatorOptions } from '../startEmulator.js';

/**
 * Runs the emulated tenant until SIGINT or SIGTERM. stdout carries exactly ONE JSON line, the
 * descriptor (what `--emulator FILE` reads back), so `> emulator.json` saves it; the notice goes to stderr.
 */
export async function serveUntilSignal(options: EmulatorOptions, commandName: string): Promise<number> {
  const emulator = await startEmulator(options);
  process.stdout.write(`${JSON.stringify(emulator.descriptor)}\n`);
  process.stderr.write(`${commandName}: emulated tenant (not Microsoft 365) on ${emulator.descriptor.graphBaseUrl}; stop with Ctrl+C\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.close();
  return 0;
}
