import type { EmuUser } from '../model.js';
import { hasAnyScope } from './callerPermissions.js';
import { odataContext, userById, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';

export const LICENSE_DETAILS_ROUTE = 'GET /me/licenseDetails';
const SCOPES = ['User.Read', 'User.ReadWrite', 'User.Read.All', 'Directory.Read.All'];

const plan = (servicePlanId: string, servicePlanName: string) => ({ servicePlanId, servicePlanName, provisioningStatus: 'Success', appliesTo: 'User' });

/** Everyone holds an Office 365 E3 (no Copilot in it); licensed users also hold the Copilot add-on. Real SKU and plan ids. */
const E3 = {
  skuId: '6fd2c87f-b296-42f0-b197-1e91e994b900',
  skuPartNumber: 'ENTERPRISEPACK',
  servicePlans: [plan('efb87545-963c-4e0d-99df-69c6916d9eb0', 'EXCHANGE_S_ENTERPRISE'), plan('5dbe027f-2339-4123-9542-606e4d348a72', 'SHAREPOINTENTERPRISE')],
};
const COPILOT = {
  skuId: '639dec6b-bb19-468b-871c-c5c441c4b0cb',
  skuPartNumber: 'Microsoft_365_Copilot',
  servicePlans: [
    plan('3f30311c-6b1e-48a4-ab79-725b469da960', 'M365_COPILOT_BUSINESS_CHAT'),
    plan('a62f8878-de10-42f3-b68f-6149a25ceb97', 'M365_COPILOT_APPS'),
    plan('b95945de-b3bd-46db-8437-f2beb6ea2347', 'M365_COPILOT_TEAMS'),
    plan('931e4a88-a67f-48b5-814f-16a5f1e6028d', 'M365_COPILOT_INTELLIGENT_SEARCH'),
    plan('82d30987-df9b-4486-b146-198b21d164c7', 'GRAPH_CONNECTORS_COPILOT'),
    plan('89f1c4c8-0878-40f7-804d-869c9128ab5d', 'M365_COPILOT_CONNECTORS'),
  ],
};

function licences(user: EmuUser): Record<string, unknown>[] {
  const ids = (sku: string) => `${user.id.slice(0, 8)}-${sku.slice(0, 8)}`;
  return [{ id: ids(E3.skuId), ...E3 }, ...(user.copilotLicense ? [{ id: ids(COPILOT.skuId), ...COPILOT }] : [])];
}

/** `GET /me/licenseDetails`: what `doctor` reads to tell an unlicensed user why Copilot APIs answer 403. */
export const licenseDetailsHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, LICENSE_DETAILS_ROUTE);
  const caller = req.caller;
  if (caller.kind !== 'delegated') return reply.error(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  if (!hasAnyScope(caller, SCOPES)) return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation. The token needs User.Read.');
  const user = userById(ctx, caller.userId);
  if (!user) return reply.error(404, 'Request_ResourceNotFound', `Resource '${caller.userId}' does not exist or one of its queried reference-property objects are not present.`);
  return reply.ok({ '@odata.context': odataContext(req, 'users(\'me\')/licenseDetails'), value: licences(user) });
};
