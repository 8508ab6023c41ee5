// Module resolve hook (registered by server.mjs with node:module register()). One redirect only:
// when the production HTTP transport (dist/transports/http.js) imports '../server/buildServer.js', it gets
// fixtureServer.mjs instead, whose buildServer calls the real one and then adds the conformance
// fixtures. Every other importer, fixtureServer.mjs included, gets the real dist/server/buildServer.js.
let redirect;

export function initialize(data) {
  redirect = data;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.url === redirect.realServer && context.parentURL === redirect.httpTransport) {
    return { ...resolved, url: redirect.fixtureServer, shortCircuit: true };
  }
  return resolved;
}
