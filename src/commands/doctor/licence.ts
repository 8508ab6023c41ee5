import { errorText, skip, type DoctorCheck } from './check.js';
import { getJson } from './http.js';

/**
 * Microsoft 365 Copilot licence, read from `GET /me/licenseDetails` (delegated User.Read; works in
 * every cloud). Matched by id, so renamed products still count:
 * - SKU Microsoft_365_Copilot 639dec6b-bb19-468b-871c-c5c441c4b0cb, or any SKU with one of
 * - the Copilot service plans (contract §2.3; ids from Microsoft's "Product names and service plan
 *   identifiers for licensing" list): M365_COPILOT_BUSINESS_CHAT 3f30311c-6b1e-48a4-ab79-725b469da960
 *   (Graph-grounded chat, which interaction export requires), M365_COPILOT_APPS
 *   a62f8878-de10-42f3-b68f-6149a25ceb97, M365_COPILOT_TEAMS b95945de-b3bd-46db-8437-f2beb6ea2347,
 *   M365_COPILOT_INTELLIGENT_SEARCH 931e4a88-a67f-48b5-814f-16a5f1e6028d, GRAPH_CONNECTORS_COPILOT
 *   82d30987-df9b-4486-b146-198b21d164c7, M365_COPILOT_CONNECTORS 89f1c4c8-0878-40f7-804d-869c9128ab5d,
 *   M365_COPILOT_SHAREPOINT 0aedf20c-091d-420b-aadf-30c042609612 (other Copilot SKUs, e.g. EDU or bundles, carry these plans);
 * a plan counts unless its provisioningStatus is Disabled.
 */
export const COPILOT_SKU_IDS = ['639dec6b-bb19-468b-871c-c5c441c4b0cb'];
export const COPILOT_SERVICE_PLAN_IDS = [
  '3f30311c-6b1e-48a4-ab79-725b469da960',
  'a62f8878-de10-42f3-b68f-6149a25ceb97',
  'b95945de-b3bd-46db-8437-f2beb6ea2347',
  '931e4a88-a67f-48b5-814f-16a5f1e6028d',
  '82d30987-df9b-4486-b146-198b21d164c7',
  '89f1c4c8-0878-40f7-804d-869c9128ab5d',
  '0aedf20c-091d-420b-aadf-30c042609612',
];
/** Tools whose API requires the caller's own Copilot licence. */
const LICENSED_TOOLS = ['copilot_retrieve', 'copilot_meeting_insights', 'copilot_search', 'copilot_chat'];

interface LicenseDetails {
  skuId?: string;
  skuPartNumber?: string;
  servicePlans?: { servicePlanId?: string; servicePlanName?: string; provisioningStatus?: string }[];
}

export function copilotLicence(licences: LicenseDetails[]): LicenseDetails | undefined {
  return licences.find(
    (l) =>
      COPILOT_SKU_IDS.includes((l.skuId ?? '').toLowerCase()) ||
      (l.servicePlans ?? []).some((p) => COPILOT_SERVICE_PLAN_IDS.includes((p.servicePlanId ?? '').toLowerCase()) && p.provisioningStatus !== 'Disabled'),
  );
}

export const licenceCheck: DoctorCheck = {
  id: 'licence',
  title: 'Copilot licence of the signed-in user',
  async run(state) {
    const { delegated, endpoints: ep } = state;
    if (!delegated || !ep) return skip('needs a signed-in account');
    if (!state.graphReachable) return skip('needs Graph');
    const affected = state.tools.map((t) => t.name).filter((n) => LICENSED_TOOLS.includes(n));
    let answer;
    try {
      answer = await getJson(ep, `${ep.graphBaseUrl}/v1.0/me/licenseDetails`, { authorization: `Bearer ${delegated.accessToken}` });
    } catch (err) {
      return { status: 'fail', detail: `cannot read the licences: ${errorText(err)}`, fix: 'Retry; check the network.', tools: affected };
    }
    const body = answer.json as { value?: LicenseDetails[]; error?: { code?: string; message?: string } } | undefined;
    if (answer.status !== 200 || !Array.isArray(body?.value))
      return { status: 'fail', detail: `GET /me/licenseDetails answered HTTP ${answer.status}${body?.error ? ` ${body.error.code}: ${body.error.message}` : ''}`, fix: 'The token needs User.Read; run `m365-copilot-mcp login` again.', tools: affected };
    const found = copilotLicence(body.value);
    if (found) return { status: 'pass', detail: `${delegated.upn} holds ${found.skuPartNumber ?? found.skuId ?? 'a Copilot licence'}` };
    const held = body.value.map((l) => l.skuPartNumber ?? l.skuId).filter(Boolean);
    return {
      status: 'fail',
      detail: `${delegated.upn} has no Microsoft 365 Copilot licence${held.length ? ` (holds ${held.join(', ')})` : ' (no licences at all)'}`,
      fix: 'An admin must assign a Microsoft 365 Copilot licence to this user (Microsoft 365 admin center > Users > Licenses); it can take a while to apply.',
      tools: affected,
    };
  },
};
