/**
 * National clouds: a token from one cloud is useless in another, so the identity authority and the
 * Graph host are always chosen together. Which Copilot API exists where is a fact of each tool's
 * definition (`api.clouds`), not of this table.
 */
export const CLOUDS = ['global', 'usgov', 'usgovdod', 'china'] as const;
export type Cloud = (typeof CLOUDS)[number];

/**
 * The cloud whose APIs the server will talk to: the emulator (--demo, --emulator FILE) is a global
 * tenant whatever --cloud says, because its endpoints replace the cloud's.
 */
export function effectiveCloud(config: { cloud: string; demo?: boolean; emulatorFile?: string | undefined }): string {
  return config.demo || config.emulatorFile ? 'global' : config.cloud;
}

export interface CloudEndpoints {
  /** Graph origin, no version segment. */
  graphOrigin: string;
  /** Entra ID authority host; the tenant is appended by the caller. */
  authorityHost: string;
  /** Resource id that prefixes scopes (`${graphResource}/Files.Read.All`). */
  graphResource: string;
}

export const CLOUD_ENDPOINTS: Readonly<Record<Cloud, CloudEndpoints>> = {
  global: {
    graphOrigin: 'https://graph.microsoft.com',
    authorityHost: 'https://login.microsoftonline.com',
    graphResource: 'https://graph.microsoft.com',
  },
  usgov: {
    graphOrigin: 'https://graph.microsoft.us',
    authorityHost: 'https://login.microsoftonline.us',
    graphResource: 'https://graph.microsoft.us',
  },
  usgovdod: {
    graphOrigin: 'https://dod-graph.microsoft.us',
    authorityHost: 'https://login.microsoftonline.us',
    graphResource: 'https://dod-graph.microsoft.us',
  },
  china: {
    graphOrigin: 'https://microsoftgraph.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    graphResource: 'https://microsoftgraph.chinacloudapi.cn',
  },
};
