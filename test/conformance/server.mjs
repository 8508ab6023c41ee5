// Test-only launcher for the conformance suite: the production `serve --http` (runServe from the tsc
// output in dist/, the same sources as the bundled CLI) with one difference: the MCP server the HTTP
// transport builds per request also carries the suite's fixture tools, resources and prompts.
//
//   node test/conformance/server.mjs --emulator FILE [any serve flag]   -> prints {"url":…,"port":…}
//
// Config, Host/Origin checks, the Entra bearer gate (JWTs checked against the emulator's JWKS),
// createMcpHandler and the 4 real tools are all the production code; see fixtureHooks.mjs.
import { register } from 'node:module';
import { parseArgs } from 'node:util';

const dist = new URL('../../dist/', import.meta.url);
register('./fixtureHooks.mjs', import.meta.url, {
  data: {
    realServer: new URL('server/buildServer.js', dist).href,
    httpTransport: new URL('transports/http.js', dist).href,
    fixtureServer: new URL('./fixtureServer.mjs', import.meta.url).href,
  },
});

// The CLI's own flag set (every config key), parsed as the CLI does.
const { CONFIG_KEYS } = await import(new URL('config/schema.js', dist).href);
const options = Object.fromEntries(CONFIG_KEYS.map((doc) => [doc.flag.slice(2), { type: doc.kind === 'boolean' ? 'boolean' : 'string' }]));
const { values } = parseArgs({ args: process.argv.slice(2), options });
const { runServe } = await import(new URL('commands/serve.js', dist).href);
const { loadConfig } = await import(new URL('config/load.js', dist).href);
process.exitCode = await runServe(await loadConfig({ flags: { ...values, http: true, port: values.port ?? '0' } }));
