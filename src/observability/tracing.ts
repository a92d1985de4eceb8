/**
 * OpenTelemetry tracing: the span helpers the engine uses (through `@opentelemetry/api`, so they cost next to nothing
 * while no tracer provider is registered), and `startTracing`, which registers one exporting over OTLP/HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set. Parents are passed explicitly
 * through contexts built from ROOT_CONTEXT; no global async context manager is needed or used.
 */
import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../errors.js';

/** The instrumentation scope of Steward's spans. */
export const TRACER_NAME = 'steward';

/** The tracer of the provider registered now (a no-op one when none is). */
export function stewardTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Starts a span with no parent: a run's execution is the root of its trace. */
export function startRootSpan(tracer: Tracer, name: string, attributes: Attributes): Span {
  return tracer.startSpan(name, { attributes }, ROOT_CONTEXT);
}

/** Starts a span whose parent is `parent`, given explicitly. */
export function startChildSpan(tracer: Tracer, parent: Span, name: string, attributes: Attributes): Span {
  return tracer.startSpan(name, { attributes }, trace.setSpan(ROOT_CONTEXT, parent));
}

/** Ends a span, marking it failed with the error (its message, and its code as `error.code` when it has one). */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined && span.isRecording()) {
    const fields = typeof error === 'object' && error !== null ? (error as { code?: unknown; message?: unknown }) : {};
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof fields.message === 'string' ? fields.message : String(error) });
    const code = fields.code;
    if (typeof code === 'string') span.setAttribute('error.code', code);
    if (error instanceof Error) span.recordException(error);
  }
  span.end();
}

/** An http(s) URL: OTLP/HTTP is the only export. */
function httpUrl(example: string) {
  return z.string().refine((text) => {
    try {
      return ['http:', 'https:'].includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, `must be an http(s) URL such as ${example} (OTLP/HTTP is the only export)`);
}

const envSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl('http://127.0.0.1:4318').optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl('http://127.0.0.1:4318/v1/traces').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(256).optional(),
});

/** Tracing as `startTracing` set it up. */
export interface TracingHandle {
  /** Whether spans are exported (an endpoint was configured). */
  readonly enabled: boolean;
  /** Where spans go (the OTLP/HTTP traces URL), or null when tracing is off. */
  readonly url: string | null;
  /** Exports the spans still buffered, stops exporting and unregisters the provider. Safe to call twice. */
  shutdown(): Promise<void>;
}

const OFF: TracingHandle = Object.freeze({ enabled: false, url: null, shutdown: () => Promise.resolve() });

/**
 * Turns tracing on when the environment names an OTLP endpoint: spans are batched and POSTed as OTLP/HTTP to
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else to `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, with service name
 * `OTEL_SERVICE_NAME` (default `steward`). Without an endpoint nothing is registered and spans cost nothing.
 * Call `shutdown()` on exit to flush what is buffered. Empty variables count as unset.
 */
export function startTracing(env: Readonly<Record<string, string | undefined>> = process.env): TracingHandle {
  const given = Object.fromEntries(
    Object.keys(envSchema.shape)
      .map((name) => [name, env[name]?.trim()])
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) throw new ConfigError(`tracing is misconfigured: ${formatIssues(parsed.error.issues, 'environment')}`);
  const vars = parsed.data;
  const url = vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (vars.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? undefined : `${vars.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (url === undefined) return OFF;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': vars.OTEL_SERVICE_NAME ?? 'steward' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    void provider.shutdown();
    throw new ConfigError('tracing is already set up in this process (another tracer provider is registered): call startTracing once, or register your own provider instead');
  }
  let closing: Promise<void> | null = null;
  return {
    enabled: true,
    url,
    shutdown: () =>
      (closing ??= provider.shutdown().finally(() => {
        trace.disable();
      })),
  };
}
