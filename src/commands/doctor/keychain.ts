import { DEFAULT_KEYCHAIN_SERVICE } from '../../auth/cache/index.js';
import { probeKeychain } from '../../auth/cache/keychain.js';
import { skip, type DoctorCheck } from './check.js';

/** The OS keychain: where tokens (or the file cache's key) are kept when it works. Its absence costs safety, not function. */
export const keychainCheck: DoctorCheck = {
  id: 'keychain',
  title: 'OS keychain',
  async run(state) {
    const config = state.config;
    if (!config) return skip('needs a valid configuration');
    if (config.demo || config.tokenCache === 'memory') return skip(`not used (token cache: ${config.demo ? 'memory, for --demo' : 'memory'})`);
    const probe = await probeKeychain(DEFAULT_KEYCHAIN_SERVICE);
    if (probe.ok) return { status: 'pass', detail: `${probe.client.kind} works${config.tokenCache === 'file' ? ' (but the token cache is set to file)' : ''}` };
    if (config.tokenCache === 'keychain')
      return {
        status: 'fail',
        detail: `the token cache is set to keychain, but ${probe.reason}`,
        fix: 'Unlock or start the OS keychain (on Linux a Secret Service such as gnome-keyring in a D-Bus session), or set --token-cache auto.',
        tools: state.tools.filter((t) => t.permissions.delegated.length > 0).map((t) => t.name),
      };
    return {
      status: 'warn',
      detail: `${probe.reason}; tokens are kept in an AES-256-GCM encrypted file with its key beside it (mode 0600)`,
      fix: 'Optional: install keytar and run a Secret Service (Linux) so the key lives in the OS keychain.',
    };
  },
};
