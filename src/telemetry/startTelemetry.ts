import type { Logger } from '../log.js';
import { telemetryStarted } from './tracing.js';

export interface TelemetrySettings {
  /** OTLP/HTTP base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); /v1/traces and /v1/metrics are appended. */
  endpoint: string;
  serviceVersion: string;
  /** service.instance.id: the same id the audit records carry. */
  instanceId: string;
  /** How often metrics are exported (OTEL_METRIC_EXPORT_INTERVAL, default 60 s). */
  metricIntervalMs: number;
}

export interface RunningTelemetry {
  /** Exports what is still buffered and stops (SIGTERM: spans of the last calls are not lost). */
  shutdown(): Promise<void>;
}

function signalUrl(endpoint: string, signal: 'traces' | 'metrics'): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/${signal}`;
}

/**
 * Loads the OpenTelemetry SDK and its OTLP/HTTP exporters only now, when an endpoint is configured:
 * the rest of the server depends on @opentelemetry/api alone, whose no-op default costs nothing, so a
 * server without telemetry starts exactly as before (no SDK module is read). Registers the global
 * tracer and meter providers, W3C trace-context propagation and an AsyncLocalStorage context manager
 * (so Graph and token spans find their MCP request span across awaits). No auto-instrumentation.
 */
export async function startTelemetry(settings: TelemetrySettings, log: Logger): Promise<RunningTelemetry> {
  const [api, core, asyncHooks, resources, sdkTrace, sdkMetrics, traceExporter, metricExporter] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/exporter-metrics-otlp-http'),
  ]);
  const resource = resources.resourceFromAttributes({
    'service.name': 'm365-copilot-mcp',
    'service.version': settings.serviceVersion,
    'service.instance.id': settings.instanceId,
  });
  const tracerProvider = new sdkTrace.TracerProvider({
    resource,
    spanProcessors: [new sdkTrace.BatchSpanProcessor({ exporter: new traceExporter.OTLPTraceExporter({ url: signalUrl(settings.endpoint, 'traces') }), scheduledDelayMillis: 1000 })],
  });
  const meterProvider = new sdkMetrics.MeterProvider({
    resource,
    readers: [
      new sdkMetrics.PeriodicExportingMetricReader({
        exporter: new metricExporter.OTLPMetricExporter({ url: signalUrl(settings.endpoint, 'metrics') }),
        exportIntervalMillis: settings.metricIntervalMs,
        exportTimeoutMillis: Math.min(30_000, settings.metricIntervalMs),
      }),
    ],
  });
  api.context.setGlobalContextManager(new asyncHooks.AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);
  telemetryStarted();
  // Export failures are the SDK's to report; through our logger they stay on stderr, once per kind.
  api.diag.setLogger(
    {
      error: (message) => log.warn('telemetry export problem', { detail: message }),
      warn: (message) => log.debug('telemetry', { detail: message }),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    api.DiagLogLevel.WARN,
  );
  log.info('OpenTelemetry on: traces and metrics over OTLP/HTTP', { endpoint: settings.endpoint, metricIntervalMs: settings.metricIntervalMs });
  return {
    async shutdown() {
      await Promise.allSettled([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
