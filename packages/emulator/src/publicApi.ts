/**
 * The package's main entry point (`m365-copilot-emulator`): what the server, the benchmarks and the
 * server's tests may use. Everything else under src/ is the emulator's own business.
 */
export { startEmulator, GRAPH_RESOURCE, type EmulatorOptions, type RunningEmulator } from './startEmulator.js';
export { AnyEmulatorDescriptorSchema, EmulatorDescriptorSchema, FreshTenantDescriptorSchema, type EmulatorDescriptor, type FreshTenantDescriptor } from './descriptor.js';
export { emulatorControl, type EmulatorControl } from './controlClient.js';
export type { SessionSettings } from './session.js';
export { KNOWN_ROUTES, parseFaultPlan, type FaultPlan, type FaultRule } from './faultPlan.js';
export { createEmulatorLogger, type EmulatorLogger, type EmulatorLogLevel } from './emulatorLogger.js';
export type { StatsSnapshot } from './stats.js';
export type { GraphRouter } from './graphGateway.js';
export type { TenantFacts } from './data/facts.js';
export type { MintRequest } from './identity/mint.js';
export type { Tenant } from './model.js';
