export { OboTokenService } from './oboTokenService.js';
export type { OboCaller, OboOptions, OboStats } from './types.js';
