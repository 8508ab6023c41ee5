/**
 * The protected resource's identifier (RFC 9728 `resource`, RFC 8707 `resource` parameter), exactly
 * as clients will send it back to the authorization server. Entra compares that string with the
 * identifier URIs of the app whose scope is requested, character for character: a trailing slash, a
 * query or a fragment makes it another resource (AADSTS9010010).
 */
export interface AdvertisedResource {
  /** e.g. https://mcp.contoso.com/mcp: scheme, host, port when not the default, path; nothing else. */
  id: string;
  /** The path of the MCP endpoint in that URL, e.g. /mcp or /tools/mcp. */
  path: string;
}

/** From --public-url (or the listening address): a root path becomes `defaultPath`; trailing slashes go. */
export function advertisedResource(url: string, defaultPath: string): AdvertisedResource {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  parsed.username = '';
  parsed.password = '';
  let path = parsed.pathname.replace(/\/+$/, '');
  if (path === '') path = defaultPath;
  parsed.pathname = path;
  return { id: parsed.href, path };
}
