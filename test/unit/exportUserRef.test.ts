import { describe, expect, it } from 'vitest';
import { exportInteractionsTool } from '../../src/tools/exportInteractions.js';

describe('copilot_export_interactions userId', () => {
  const accepts = (userId: string) => exportInteractionsTool.input.safeParse({ userId }).success;
  it('accepts object ids, UPNs and guest UPNs', () => {
    expect(accepts('72f9a03c-9cca-4781-801f-5853b90108f5')).toBe(true);
    expect(accepts('megan.bowen@contoso.com')).toBe(true);
    expect(accepts("o'neil_fabrikam.com#EXT#@contoso.onmicrosoft.com")).toBe(true);
  });
  it('refuses characters that would reshape the Graph URL', () => {
    for (const bad of ['a/b@contoso.com', 'a?b@contoso.com', 'a&b@contoso.com', 'a%2e@contoso.com', 'x@contoso/com', "0#t2qa.&vc./`vf`c!r4@vwd4t.jyd.ad"]) expect(accepts(bad), bad).toBe(false);
  });
});
