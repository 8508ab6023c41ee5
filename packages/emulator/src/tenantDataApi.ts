/**
 * Entry point `m365-copilot-emulator/tenant-data`: the generated tenant without a running emulator
 * (the deterministic fictional company, and the facts tests assert against). Apart from the main
 * entry point so that starting an emulator with a tenant of its own never loads the generator.
 */
export { generateTenant } from './data/generate.js';
export { tenantFacts, type TenantFacts } from './data/facts.js';
export type { Tenant } from './model.js';
