// The status routes of the HTTP server:
//   GET /                         the live status page
//   GET /status/page.js, .css     its script, style and icon (served here: the page needs no network)
//   GET /api/status               every target now (status-api.ts)
//   GET /api/status/history       one target's last hour, incrementally
// The page's responses forbid everything not from the daemon itself (Content-Security-Policy),
// a second line of defence behind the script's never treating data as markup.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { historyAnswer, statusAnswer, type StatusSource } from './status-api.ts';
import { statusPageCss } from './status-page/page-css.ts';
import { statusPageIcon } from './status-page/page-icon.ts';
import { statusPageHtml } from './status-page/page-html.ts';
import { statusPageJs } from './status-page/page-js.ts';

const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  type: string;
  body: string;
}

const assets: ReadonlyMap<string, Asset> = new Map([
  ['/', { type: 'text/html; charset=utf-8', body: statusPageHtml }],
  ['/status/page.js', { type: 'text/javascript; charset=utf-8', body: statusPageJs }],
  ['/status/page.css', { type: 'text/css; charset=utf-8', body: statusPageCss }],
  ['/status/icon.svg', { type: 'image/svg+xml', body: statusPageIcon }],
]);

/** The paths this module answers; the server sends everything else elsewhere. */
export function isStatusPath(path: string): boolean {
  return assets.has(path) || path === '/api/status' || path === '/api/status/history';
}

/**
 * Answers a request for one of the status paths. Without a source (a daemon that runs no
 * control loop) the API answers 503 and the page still loads, saying so.
 */
export async function handleStatusRequest(request: IncomingMessage, response: ServerResponse, url: URL, source: StatusSource | undefined): Promise<void> {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    sendJson(response, 405, { error: `method ${method} not allowed on ${url.pathname}; use GET or HEAD` });
    return;
  }
  const asset = assets.get(url.pathname);
  if (asset !== undefined) {
    response.writeHead(200, {
      'content-type': asset.type,
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      // The assets change only with the daemon's version; the data comes from the API.
      'cache-control': 'no-cache',
    });
    response.end(asset.body);
    return;
  }
  if (source === undefined) {
    sendJson(response, 503, { error: 'this process runs no control loop, so it has no status to report' });
    return;
  }
  const reply = url.pathname === '/api/status/history' ? historyAnswer(url.searchParams, source) : await statusAnswer(url.searchParams, source);
  sendJson(response, reply.status, reply.body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  response.end(`${JSON.stringify(value)}\n`);
}
