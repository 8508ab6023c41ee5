// Token cache fixtures (a real MSAL cache JSON) and the work the token cache tests run in child
// processes: two writers at once, and everything that needs a D-Bus session with a keyring.
// Run as: node tokenCacheChild.mjs <compiled cache module URL> '<json command>'; prints one JSON line.
import { PublicClientApplication, TokenCacheContext } from '@azure/msal-node';
import { pathToFileURL } from 'node:url';

export const CLIENT_ID = '3f1c2b8e-0000-4000-8000-00000000c0de';
export const TENANT_ID = '72f988bf-0000-4000-8000-0000000000aa';
const ENV = 'login.microsoftonline.com';
const SCOPES = 'User.Read Files.Read.All Sites.Read.All';

export const ADA = { oid: '11111111-aaaa-4aaa-8aaa-000000000001', username: 'ada@contoso.example', name: 'Ada Lovelace' };
export const GRACE = { oid: '22222222-bbbb-4bbb-8bbb-000000000002', username: 'grace@contoso.example', name: 'Grace Hopper' };

export const homeAccountId = (user) => `${user.oid}.${TENANT_ID}`;
export const secretsOf = (user, round = 0) => ({
  accessToken: `at-secret-${user.oid.slice(0, 8)}-${round}-Zq8`,
  refreshToken: `rt-secret-${user.oid.slice(0, 8)}-${round}-Kx3`,
});

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

// Fixed times (issued 2026-11-01, valid until 2100) so every process builds byte-identical fixtures.
const ISSUED = 1_793_491_200;
const EXPIRES = 4_102_444_800;

function idToken(user) {
  const claims = { aud: CLIENT_ID, iss: `https://${ENV}/${TENANT_ID}/v2.0`, iat: ISSUED, nbf: ISSUED, exp: EXPIRES, oid: user.oid, sub: user.oid, tid: TENANT_ID, preferred_username: user.username, name: user.name };
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

/** The JSON MSAL's serializer writes for these signed-in users (keys as msal-node builds them). */
export function cacheJson(users, round = 0) {
  const json = { Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {}, AppMetadata: {} };
  for (const user of users) {
    const hid = homeAccountId(user);
    const { accessToken, refreshToken } = secretsOf(user, round);
    const base = { home_account_id: hid, environment: ENV };
    json.Account[`${hid}-${ENV}-${TENANT_ID}`] = {
      ...base,
      realm: TENANT_ID,
      local_account_id: user.oid,
      username: user.username,
      authority_type: 'MSSTS',
      name: user.name,
      client_info: b64url({ uid: user.oid, utid: TENANT_ID }),
    };
    json.IdToken[`${hid}-${ENV}-idtoken-${CLIENT_ID}-${TENANT_ID}---`] = { ...base, credential_type: 'IdToken', client_id: CLIENT_ID, secret: idToken(user), realm: TENANT_ID };
    json.AccessToken[`${hid}-${ENV}-accesstoken-${CLIENT_ID}-${TENANT_ID}-${SCOPES}--`.toLowerCase()] = {
      ...base,
      credential_type: 'AccessToken',
      client_id: CLIENT_ID,
      secret: accessToken,
      realm: TENANT_ID,
      target: SCOPES,
      cached_at: String(ISSUED),
      expires_on: String(EXPIRES),
      extended_expires_on: String(EXPIRES),
      token_type: 'Bearer',
    };
    json.RefreshToken[`${hid}-${ENV}-refreshtoken-${CLIENT_ID}----`] = { ...base, credential_type: 'RefreshToken', client_id: CLIENT_ID, secret: refreshToken };
  }
  json.AppMetadata[`appmetadata-${ENV}-${CLIENT_ID}`] = { client_id: CLIENT_ID, environment: ENV };
  return json;
}

const AUTHORITY = `https://${ENV}/${TENANT_ID}`;
/** Given up front, so MSAL never goes to the network for discovery: acquireTokenSilent works offline. */
const AUTHORITY_METADATA = {
  token_endpoint: `${AUTHORITY}/oauth2/v2.0/token`,
  authorization_endpoint: `${AUTHORITY}/oauth2/v2.0/authorize`,
  device_authorization_endpoint: `${AUTHORITY}/oauth2/v2.0/devicecode`,
  end_session_endpoint: `${AUTHORITY}/oauth2/v2.0/logout`,
  issuer: `${AUTHORITY}/v2.0`,
  jwks_uri: `${AUTHORITY}/discovery/v2.0/keys`,
};
const CLOUD_DISCOVERY = { tenant_discovery_endpoint: `${AUTHORITY}/v2.0/.well-known/openid-configuration`, 'api-version': '1.1', metadata: [{ preferred_network: ENV, preferred_cache: ENV, aliases: [ENV] }] };

export function newPca(cachePlugin) {
  return new PublicClientApplication({
    auth: {
      clientId: CLIENT_ID,
      authority: AUTHORITY,
      knownAuthorities: [ENV],
      authorityMetadata: JSON.stringify(AUTHORITY_METADATA),
      cloudDiscoveryMetadata: JSON.stringify(CLOUD_DISCOVERY),
    },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
  });
}

/** What MSAL does when a token response arrives: before → write into its cache → after. */
export async function writeThroughMsal(pca, cachePlugin, mutate) {
  const tokenCache = pca.getTokenCache();
  const ctx = new TokenCacheContext(tokenCache, true);
  await cachePlugin.beforeCacheAccess(ctx);
  try {
    tokenCache.deserialize(JSON.stringify(mutate(JSON.parse(tokenCache.serialize()))));
  } finally {
    await cachePlugin.afterCacheAccess(ctx);
  }
}

/** Everything a fresh MSAL instance loads through the plugin, as JSON. */
export async function readThroughMsal(cachePlugin) {
  const pca = newPca(cachePlugin);
  const accounts = await pca.getTokenCache().getAllAccounts();
  return { accounts, json: JSON.parse(pca.getTokenCache().serialize()) };
}

const silentLog = { debug() {}, info() {}, warn() {}, error() {}, child() { return silentLog; } };
const noKeytar = async () => {
  throw Object.assign(new Error("Cannot find package 'keytar'"), { code: 'ERR_MODULE_NOT_FOUND' });
};

export const CAROL = { oid: '33333333-cccc-4ccc-8ccc-000000000003', username: 'carol@contoso.example', name: 'Carol Shaw' };
const counterKey = `${homeAccountId(CAROL)}-${ENV}-refreshtoken-${CLIENT_ID}----`;
/** Carol's refresh token doubles as a counter both writers increment: any lost update shows. */
export const sharedCount = (json) => Number(/^count-(\d+)$/.exec(json.RefreshToken[counterKey]?.secret ?? 'count-0')[1]);

/**
 * Writes one user's refresh token `rounds` times, each as a separate MSAL-style access, and bumps
 * the shared counter in the same access (read-modify-write that only a working lock keeps exact).
 */
async function hammer(mod, { stateDir, user, rounds }) {
  const cache = await mod.openTokenCache({ stateDir, preference: 'file', log: silentLog, keychain: { load: noKeytar } });
  const pca = newPca(cache.plugin);
  for (let round = 1; round <= rounds; round++) {
    await writeThroughMsal(pca, cache.plugin, (json) => {
      const mine = cacheJson([user], round);
      for (const section of Object.keys(mine)) Object.assign((json[section] ??= {}), mine[section]);
      const counter = cacheJson([CAROL]).RefreshToken[counterKey];
      json.RefreshToken[counterKey] = { ...counter, secret: `count-${sharedCount(json) + 1}` };
      return json;
    });
  }
  return { rounds, notices: cache.notices() };
}

async function backendInfo(mod, { stateDir, service, preference, probeTimeoutMs }) {
  try {
    const cache = await mod.openTokenCache({ stateDir, service, preference, log: silentLog, keychain: { probeTimeoutMs } });
    return { info: cache.info };
  } catch (err) {
    return { error: { code: err.code, message: err.message } };
  }
}

/** Runs inside dbus-run-session with an unlocked gnome-keyring; reports facts for the test to check. */
async function keychainSuite(mod, { stateDir, fileStateDir, service }) {
  const keytar = (await import('keytar')).default;
  const report = {};
  const cache = await mod.openTokenCache({ stateDir, service, preference: 'auto', log: silentLog });
  report.info = cache.info;
  await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA, GRACE]));

  const second = await mod.openTokenCache({ stateDir, service, preference: 'keychain', log: silentLog });
  const read = await readThroughMsal(second.plugin);
  report.readBack = { usernames: read.accounts.map((a) => a.username).sort(), json: read.json };
  report.entries = (await keytar.findCredentials(service)).map((c) => c.account).sort();
  report.entryValues = (await keytar.findCredentials(service)).map((c) => c.password);

  await second.removeAccount(homeAccountId(ADA));
  report.afterRemove = {
    entries: (await keytar.findCredentials(service)).map((c) => c.account).sort(),
    usernames: (await readThroughMsal(second.plugin)).accounts.map((a) => a.username),
  };

  // A partition larger than the keychain's value limit is split across entries and read back whole.
  const big = await mod.openTokenCache({ stateDir, service: `${service}-chunks`, preference: 'keychain', log: silentLog, keychain: { maxValueChars: 700 } });
  await writeThroughMsal(newPca(big.plugin), big.plugin, () => cacheJson([ADA]));
  report.chunked = {
    entries: (await keytar.findCredentials(`${service}-chunks`)).map((c) => c.account).sort(),
    json: (await readThroughMsal(big.plugin)).json,
  };
  await big.clear();
  report.chunked.afterClear = (await keytar.findCredentials(`${service}-chunks`)).map((c) => c.account);

  // The file cache with its key in the keychain: no key file, and the files decrypt in a new instance.
  const file = await mod.openTokenCache({ stateDir: fileStateDir, service, preference: 'file', log: silentLog });
  report.fileInfo = file.info;
  await writeThroughMsal(newPca(file.plugin), file.plugin, () => cacheJson([GRACE]));
  const fileAgain = await mod.openTokenCache({ stateDir: fileStateDir, service, preference: 'file', log: silentLog });
  report.fileReadBack = (await readThroughMsal(fileAgain.plugin)).accounts.map((a) => a.username);
  report.fileNotices = fileAgain.notices();

  // A damaged index is rebuilt from the entries; a damaged entry is kept aside with a notice.
  await keytar.setPassword(service, 'token-cache-index', 'not json');
  const rebuilt = await mod.openTokenCache({ stateDir, service, preference: 'keychain', log: silentLog });
  report.indexRebuilt = (await readThroughMsal(rebuilt.plugin)).accounts.map((a) => a.username);
  await keytar.setPassword(service, `token-cache:${homeAccountId(GRACE)}`, '{"Account": garbage');
  report.corrupt = {
    usernames: (await readThroughMsal(rebuilt.plugin)).accounts.map((a) => a.username),
    notices: rebuilt.notices(),
    entries: (await keytar.findCredentials(service)).map((c) => c.account).sort(),
  };

  await second.clear();
  report.afterClear = (await keytar.findCredentials(service)).map((c) => c.account).sort();
  return report;
}

const OPS = { hammer, backendInfo, keychainSuite };

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [moduleUrl, command] = process.argv.slice(2);
  const { op, ...args } = JSON.parse(command);
  const mod = await import(moduleUrl);
  const result = await OPS[op](mod, args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // A keychain call that timed out may still be pending in libsecret; do not wait for it.
  process.exit(0);
}
