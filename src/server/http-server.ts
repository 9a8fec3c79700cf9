// The daemon's HTTP endpoints on node:http: few routes, no framework.
//   GET  /healthz                 the process is alive (200 while the event loop answers)
//   GET  /readyz                  200 when every dependency answers, else 503 naming the failing
//   GET  /metrics                 Prometheus text format from the daemon's private registry
//   POST /webhooks/alertmanager   Alertmanager webhook deliveries
//   GET  /api/decisions?target=   a target's newest decisions from the journal
//   GET  /, /api/status[/history] the status page and its API (status-routes.ts)
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorMessage, type Logger } from '../logging/logger.ts';
import type { AlertmanagerWebhook, WebhookReply } from './alertmanager-webhook.ts';
import { queryDecisions, type DecisionsSource } from './decisions-api.ts';
import type { ReadinessChecks } from './readiness.ts';
import type { StatusSource } from './status-api.ts';
import { handleStatusRequest, isStatusPath } from './status-routes.ts';

export interface HttpServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  registry: Registry;
  readiness: ReadinessChecks;
  alertmanagerWebhook: AlertmanagerWebhook;
  /** The decision journal behind /api/decisions; without it the endpoint answers 503. */
  decisions?: DecisionsSource;
  /** What the status page and /api/status show; without it the API answers 503. */
  status?: StatusSource;
  /** Families written as text outside the registry (the collectors' samples), appended to its text on /metrics. */
  moreMetrics?: { text(): string };
  /** Called once a /metrics answer is sent: its text and series are garbage now (the heap release waits for it). */
  afterMetrics?: () => void;
  logger: Logger;
}

export interface RunningHttpServer {
  /** The bound port (the chosen one when the config said 0). */
  port: number;
  host: string;
  /**
   * Stops accepting connections and waits for open requests; connections still open after
   * `deadlineMillis` are cut.
   */
  close(deadlineMillis: number): Promise<void>;
}

class RequestBodyTooLarge extends Error {}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      options.logger.error('request failed', { method: request.method, url: request.url, error: errorMessage(error) });
      if (!response.headersSent) sendText(response, 500, 'internal error\n');
      else response.destroy();
    });
  });
  // Keep-alive from a scraper must not hold shutdown hostage past the deadline.
  server.keepAliveTimeout = 5000;
  await listen(server, options.host, options.port);
  const address = server.address() as AddressInfo;
  options.logger.info('http server listening', { host: address.address, port: address.port });
  return {
    port: address.port,
    host: address.address,
    close: async (deadlineMillis) => closeServer(server, deadlineMillis),
  };
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolveListen, reject) => {
    const onError = (error: Error): void => {
      reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
}

async function closeServer(server: Server, deadlineMillis: number): Promise<void> {
  const closed = new Promise<void>((resolveClose) => { server.close(() => { resolveClose(); }); });
  server.closeIdleConnections();
  const deadline = setTimeout(() => { server.closeAllConnections(); }, deadlineMillis);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
}

async function handle(request: IncomingMessage, response: ServerResponse, options: HttpServerOptions): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = request.method ?? 'GET';
  const reading = method === 'GET' || method === 'HEAD';
  if (isStatusPath(path)) {
    await handleStatusRequest(request, response, url, options.status);
    return;
  }
  switch (path) {
    case '/healthz':
      if (!reading) { sendMethodNotAllowed(response, 'GET, HEAD'); return; }
      sendText(response, 200, 'ok\n');
      return;
    case '/readyz': {
      if (!reading) { sendMethodNotAllowed(response, 'GET, HEAD'); return; }
      const report = await options.readiness.run();
      sendJson(response, report.ready ? 200 : 503, report);
      return;
    }
    case '/metrics': {
      if (!reading) { sendMethodNotAllowed(response, 'GET, HEAD'); return; }
      const registered = await options.registry.metrics();
      const body = options.moreMetrics === undefined ? registered : `${registered}\n${options.moreMetrics.text()}`;
      response.writeHead(200, { 'content-type': options.registry.contentType });
      response.end(body);
      options.afterMetrics?.();
      return;
    }
    case '/webhooks/alertmanager': {
      if (method !== 'POST') { sendMethodNotAllowed(response, 'POST'); return; }
      const webhook = options.alertmanagerWebhook;
      // Credentials and content type are checked before the body is read: an unauthenticated
      // sender cannot make the server buffer anything.
      const early = webhook.checkHeaders(request.headers);
      if (early !== undefined) {
        // Closing spares reading (and discarding) a body nobody asked for to keep the socket.
        response.setHeader('connection', 'close');
        sendReply(response, early);
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(request, options.maxBodyBytes);
      } catch (error) {
        if (!(error instanceof RequestBodyTooLarge)) throw error;
        response.setHeader('connection', 'close');
        sendReply(response, webhook.tooLarge(options.maxBodyBytes));
        return;
      }
      sendReply(response, webhook.receive(body, request.headers));
      return;
    }
    case '/api/decisions': {
      if (!reading) { sendMethodNotAllowed(response, 'GET, HEAD'); return; }
      if (options.decisions === undefined) {
        sendJson(response, 503, { error: 'this process has no decision journal' });
        return;
      }
      const reply = await queryDecisions(url.searchParams, options.decisions);
      sendJson(response, reply.status, reply.body);
      return;
    }
    default:
      sendText(response, 404, `no such endpoint: ${path}\n`);
  }
}

async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limitBytes) throw new RequestBodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new RequestBodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(value)}\n`);
}

function sendReply(response: ServerResponse, reply: WebhookReply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
  sendJson(response, reply.status, reply.body);
}

function sendMethodNotAllowed(response: ServerResponse, allowed: string): void {
  response.setHeader('allow', allowed);
  sendText(response, 405, `method not allowed; use ${allowed}\n`);
}
