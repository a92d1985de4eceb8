/**
 * startTracing: off without an endpoint; with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real local HTTP server,
 * the spans of a run are POSTed to /v1/traces as OTLP/HTTP when tracing shuts down (the flush on close).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { startTracing, type TracingHandle } from '../../src/observability/tracing.js';
import { useSteward } from '../helpers/steward.js';
import { rejectionOf } from '../helpers/wait.js';
import { deploy, scale } from './fixtures.js';

interface Received {
  method: string;
  url: string;
  contentType: string;
  body: unknown;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}

interface OtlpSpan {
  name: string;
  spanId: string;
  parentSpanId?: string;
  attributes: OtlpAttribute[];
}

interface OtlpRequest {
  resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

/** A collector on 127.0.0.1 that keeps every request it gets and answers 200. */
async function startCollector(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const read = async (request: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    return request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
  };
  const server: Server = createServer((request, response) => {
    void read(request).then((body) => {
      received.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'] ?? '', body: JSON.parse(body.toString('utf8')) as unknown });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function attribute(attributes: OtlpAttribute[], key: string): string | undefined {
  return attributes.find((a) => a.key === key)?.value.stringValue;
}

let tracing: TracingHandle | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe('startTracing', () => {
  it('is off without an endpoint: nothing is registered', async () => {
    tracing = startTracing({});
    expect(tracing).toMatchObject({ enabled: false, url: null });
    expect(trace.getTracer('steward').startSpan('x').isRecording()).toBe(false);
    expect(startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).enabled).toBe(false);
  });

  it('refuses an endpoint that is not a URL, saying which variable', async () => {
    const error = await rejectionOf(() => startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }));
    expect(error).toMatchObject({ code: 'STEWARD_CONFIG' });
    expect(error.message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('exports the spans of a run over OTLP/HTTP to the endpoint when it shuts down', async () => {
    const collector = await startCollector();
    try {
      tracing = startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`, OTEL_SERVICE_NAME: 'steward-test' });
      expect(tracing).toMatchObject({ enabled: true, url: `${collector.url}/v1/traces` });
      const steward = await useSteward({ workflows: [deploy], actions: [scale], globalAutonomy: 3 });
      steward.worker.start();
      const handle = await steward.start('obs.deploy', { service: 'api', replicas: 1 });
      await handle.result();
      await steward.close();
      await tracing.shutdown();

      expect(collector.received.length).toBeGreaterThan(0);
      for (const request of collector.received) {
        expect(request).toMatchObject({ method: 'POST', url: '/v1/traces' });
        expect(request.contentType).toMatch(/application\/json/);
      }
      const batches = collector.received.flatMap((r) => (r.body as OtlpRequest).resourceSpans);
      expect(batches.every((b) => attribute(b.resource.attributes, 'service.name') === 'steward-test')).toBe(true);
      const spans = batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans)).filter((s) => attribute(s.attributes, 'run_id') === handle.id);
      const run = spans.find((s) => s.name === 'steward.run');
      expect(run).toBeDefined();
      const step = spans.find((s) => s.name === 'steward.step');
      expect(step?.parentSpanId).toBe(run!.spanId);
      expect(attribute(step!.attributes, 'task_id')).toBe('look-up');
      expect(spans.map((s) => s.name).sort()).toEqual(['steward.act.apply', 'steward.act.plan', 'steward.act.verify', 'steward.run', 'steward.step']);
    } finally {
      await collector.close();
    }
  });
});
