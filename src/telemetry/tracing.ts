import { context, INVALID_SPAN_CONTEXT, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { instruments, SCOPE } from './instruments.js';

const tracer = () => trace.getTracer(SCOPE);

/**
 * Whether startTelemetry registered the SDK. Until then every span is the API's no-op, so the
 * per-call wrappers skip the API altogether: a stdio call went through four no-op spans and
 * context switches (about a twentieth of its CPU), for nothing.
 */
let telemetryOn = false;
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Called by startTelemetry once the providers are registered. */
export function telemetryStarted(): void {
  telemetryOn = true;
}

/** The trace id of the span in progress, for log lines; undefined outside one (or with telemetry off). */
export function currentTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? ctx.traceId : undefined;
}

/** W3C trace context a client put in the request's `params._meta` (traceparent, tracestate), as the parent. */
export function contextFromMeta(meta: unknown): Context {
  if (!meta || typeof meta !== 'object') return context.active();
  return propagation.extract(context.active(), meta as Record<string, unknown>, {
    get: (carrier, key) => {
      const value = (carrier as Record<string, unknown>)[key];
      return typeof value === 'string' ? value : undefined;
    },
    keys: (carrier) => Object.keys(carrier as object),
  });
}

export interface McpRequestFacts {
  method: string;
  requestId?: string | number | undefined;
  toolName?: string | undefined;
  resourceUri?: string | undefined;
  protocolVersion?: string | undefined;
  /** `tcp` for Streamable HTTP, `pipe` for stdio (MCP semantic conventions). */
  transport: 'tcp' | 'pipe';
  meta?: unknown;
}

/** Spans this server opened for an MCP request: a tool handler inside one annotates it instead of opening another. */
const mcpSpans = new WeakSet<Span>();

/**
 * One SERVER span per MCP request, named `{mcp.method.name} {target}` as the MCP semantic conventions
 * say, continuing the client's trace from `_meta`; `fn` runs with it active (Graph and token spans
 * become its children). Returns `end(errorType?)`, called when the answer has gone out; it records
 * mcp.server.operation.duration too.
 */
export function startMcpRequestSpan(facts: McpRequestFacts): { context: Context; end(errorType?: string): void } {
  // The target is low-cardinality by rule: a tool's name, never a resource URI.
  const target = facts.toolName;
  const attributes: Attributes = {
    'mcp.method.name': facts.method,
    'network.transport': facts.transport,
    ...(facts.transport === 'tcp' ? { 'network.protocol.name': 'http' } : {}),
    ...(facts.requestId !== undefined ? { 'jsonrpc.request.id': String(facts.requestId) } : {}),
    ...(facts.protocolVersion ? { 'mcp.protocol.version': facts.protocolVersion } : {}),
    ...(facts.toolName ? { 'gen_ai.tool.name': facts.toolName, 'gen_ai.operation.name': 'execute_tool' } : {}),
    ...(facts.resourceUri ? { 'mcp.resource.uri': facts.resourceUri } : {}),
  };
  const span = tracer().startSpan(target ? `${facts.method} ${target}` : facts.method, { kind: SpanKind.SERVER, attributes }, contextFromMeta(facts.meta));
  mcpSpans.add(span);
  const started = performance.now();
  const meters = instruments();
  meters.inFlight.add(1);
  let ended = false;
  return {
    context: trace.setSpan(context.active(), span),
    end(errorType) {
      if (ended) return;
      ended = true;
      meters.inFlight.add(-1);
      const marked = toolErrors.get(span);
      const error = errorType ?? marked;
      if (error) {
        span.setAttribute('error.type', error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      meters.operationDuration.record((performance.now() - started) / 1000, {
        'mcp.method.name': facts.method,
        ...(facts.toolName ? { 'gen_ai.tool.name': facts.toolName } : {}),
        ...(facts.protocolVersion ? { 'mcp.protocol.version': facts.protocolVersion } : {}),
        ...(error ? { 'error.type': error } : {}),
      });
    },
  };
}

const toolErrors = new WeakMap<Span, string>();

/**
 * A tools/call or resources/read as the server layer sees it: inside the transport's MCP span (HTTP)
 * it only marks that span's outcome; with none (stdio) it is the MCP span itself. A tool result with
 * isError counts as an error (error.type: its stable error code, else `tool_error`).
 */
export async function mcpCall<R>(facts: McpRequestFacts, fn: () => Promise<R>, errorOf: (result: R) => string | undefined): Promise<R> {
  if (!telemetryOn) return fn();
  const active = trace.getActiveSpan();
  if (active && mcpSpans.has(active)) {
    const result = await fn();
    const error = errorOf(result);
    if (error) toolErrors.set(active, error);
    return result;
  }
  const span = startMcpRequestSpan(facts);
  let error: string | undefined;
  try {
    const result = await context.with(span.context, fn);
    error = errorOf(result);
    return result;
  } catch (err) {
    error = err instanceof Error ? err.name : 'Error';
    throw err;
  } finally {
    span.end(error);
  }
}

/** Runs `fn` inside a CLIENT span (a Graph request, a token acquisition), ended when it settles. */
export async function clientSpan<R>(name: string, attributes: Attributes, fn: (span: Span) => Promise<R>, kind: SpanKind = SpanKind.CLIENT): Promise<R> {
  if (!telemetryOn) return fn(NOT_RECORDING);
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      if (!span.isRecording()) throw err;
      const type = (err as { code?: unknown })?.code;
      span.setAttribute('error.type', typeof type === 'string' ? type : err instanceof Error ? err.name : 'Error');
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The span in progress, when it is recording (telemetry on): for attributes learned along the way. */
export function activeSpan(): Span | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

export { SpanKind };
