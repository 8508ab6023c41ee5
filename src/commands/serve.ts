import { settleYoungGeneration } from '../util/youngGeneration.js';
import type { Config } from '../config/schema.js';

/** What the server runs with besides its configuration: telemetry to flush when it stops. */
export interface ServeHooks {
  onStop(): Promise<void>;
}

/** The default command: stdio for one local user, or Streamable HTTP (`--http`) for many. */
export async function runServe(config: Config): Promise<number> {
  // A stdio export's peak memory needs a small young generation; HTTP throughput under load needs V8's.
  settleYoungGeneration(config.http ? 'v8-default' : 'small');
  const hooks = await startObservability(config);
  if (config.http) return (await import('./serveHttp.js')).runHttpServer(config, hooks);
  return (await import('./serveStdio.js')).runStdioServer(config, hooks);
}

/**
 * OpenTelemetry when an endpoint is configured, before anything that records: the SDK is a lazy
 * chunk, so without OTEL_EXPORTER_OTLP_ENDPOINT not one of its modules is read.
 */
async function startObservability(config: Config): Promise<ServeHooks> {
  if (!config.otelEndpoint) return { onStop: async () => {} };
  const [{ startTelemetry }, { createLogger }, { instanceIdOf }, { packageVersion }] = await Promise.all([
    import('../telemetry/startTelemetry.js'),
    import('../log.js'),
    import('../policy/governance.js'),
    import('../version.js'),
  ]);
  const telemetry = await startTelemetry(
    { endpoint: config.otelEndpoint, serviceVersion: packageVersion(), instanceId: instanceIdOf(config), metricIntervalMs: config.otelMetricIntervalMs },
    createLogger(config.logLevel, { component: 'telemetry' }),
  );
  return { onStop: () => telemetry.shutdown() };
}
