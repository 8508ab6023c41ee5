import { describe, expect, it } from 'vitest';
import { resourceScope } from '../../src/transports/httpAuthMetadata.js';
import { advertisedResource } from '../../src/transports/resourceUrl.js';

/** The `resource` clients send back to Entra must equal an identifier URI exactly: no trailing slash, nothing extra. */
describe('advertised resource', () => {
  it.for([
    ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/mcp', '/mcp'],
    ['https://mcp.contoso.com/mcp/', 'https://mcp.contoso.com/mcp', '/mcp'],
    ['https://mcp.contoso.com', 'https://mcp.contoso.com/mcp', '/mcp'],
    ['https://mcp.contoso.com/', 'https://mcp.contoso.com/mcp', '/mcp'],
    ['https://contoso.com/tools/mcp//', 'https://contoso.com/tools/mcp', '/tools/mcp'],
    ['https://MCP.Contoso.com:443/mcp?x=1#frag', 'https://mcp.contoso.com/mcp', '/mcp'],
    ['https://mcp.contoso.com:8443/copilot', 'https://mcp.contoso.com:8443/copilot', '/copilot'],
  ] as const)('%s → %s', ([input, id, path]) => {
    expect(advertisedResource(input, '/mcp')).toEqual({ id, path });
  });

  it('puts the scope under the resource, once', () => {
    expect(resourceScope('https://mcp.contoso.com/mcp', 'access_as_user')).toBe('https://mcp.contoso.com/mcp/access_as_user');
    expect(resourceScope('api://1234/', 'access_as_user')).toBe('api://1234/access_as_user');
  });
});
