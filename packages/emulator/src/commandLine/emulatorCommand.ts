/** The emulator's command line as a library: what `m365-copilot-mcp emulator` and the emulator's own bin both run. */
export { EmulatorFlagError, emulatorOptionsFromFlags, faultsFlag, type EmulatorFlags } from './emulatorFlags.js';
export { serveUntilSignal } from './serveUntilSignal.js';
