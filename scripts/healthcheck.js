// Docker HEALTHCHECK for the image (see Dockerfile). It reads how the server process (PID 1 in the
// container) was started:
// - stdio mode (the default): there is nothing to probe; the process being alive is the health, exit 0;
// - HTTP mode (`serve --http`, M365_COPILOT_MCP_HTTP=true, or "http": true in the --config file):
//   GET http://<host>:<port>/healthz, healthy on 200 within 4 s.
// Settings are resolved like the server does: config file ← environment ← flags.
// M365_COPILOT_MCP_HEALTHCHECK_PID names another process to inspect (tests; default 1).
import { readFileSync } from 'node:fs';

const pid = process.env.M365_COPILOT_MCP_HEALTHCHECK_PID ?? '1';
const nulSplit = (file) => readFileSync(`/proc/${pid}/${file}`, 'latin1').split('\0').filter(Boolean);

function flagValue(argv, name) {
  let value;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) value = argv[i + 1];
    else if (argv[i].startsWith(`${name}=`)) value = argv[i].slice(name.length + 1);
  }
  return value;
}

const truthy = (v) => /^(1|true|yes|on)$/i.test(String(v));

try {
  const argv = nulSplit('cmdline');
  const env = Object.fromEntries(nulSplit('environ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const configPath = flagValue(argv, '--config') ?? env.M365_COPILOT_MCP_CONFIG;
  let file = {};
  if (configPath) {
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch {
      file = {}; // the server itself reports an unreadable config file
    }
  }
  const http = argv.includes('--http') || (env.M365_COPILOT_MCP_HTTP !== undefined ? truthy(env.M365_COPILOT_MCP_HTTP) : file.http === true);
  if (!http) process.exit(0);
  const port = flagValue(argv, '--port') ?? env.M365_COPILOT_MCP_PORT ?? file.port ?? 3000;
  let host = flagValue(argv, '--host') ?? env.M365_COPILOT_MCP_HOST ?? file.host ?? '127.0.0.1';
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1'; // listening everywhere includes loopback
  const origin = host.includes(':') && !host.startsWith('[') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  process.stderr.write(`healthcheck: ${err?.message ?? err}\n`);
  process.exit(1);
}
