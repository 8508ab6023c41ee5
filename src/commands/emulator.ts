import { AppError } from '../errors.js';

/**
 * `m365-copilot-mcp emulator`: the emulated tenant alone, described by one JSON line on stdout. The
 * emulator's own command line does the work; a bad flag becomes this CLI's InvalidArgument error.
 */
export async function runEmulatorCommand(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const { EmulatorFlagError, emulatorOptionsFromFlags, serveUntilSignal } = await import('m365-copilot-emulator/cli');
  let options;
  try {
    options = await emulatorOptionsFromFlags(flags);
  } catch (err) {
    if (err instanceof EmulatorFlagError) throw new AppError('InvalidArgument', err.message, { nextStep: err.nextStep });
    throw err;
  }
  return serveUntilSignal(options, 'm365-copilot-mcp emulator');
}
