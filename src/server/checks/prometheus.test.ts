import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { freeLoopbackPort } from '../../../test/env/ports.ts';
import { prometheusCheck, prometheusRequest } from './prometheus.ts';

describe('Prometheus readiness check', () => {
  let server: Server;
  let port: number;
  let answerStatus = 200;
  const seen: { path: string | undefined; headers: IncomingHttpHeaders }[] = [];

  before(async () => {
    server = createServer((request, response) => {
      seen.push({ path: request.url, headers: request.headers });
      response.writeHead(answerStatus);
      response.end('Prometheus Server is Ready.\n');
    });
    await new Promise<void>((resolveListen) => { server.listen(0, '127.0.0.1', resolveListen); });
    port = (server.address() as { port: number }).port;
  });
  after(() => { server.close(); });

  const check = (url: string) => prometheusCheck({ url, timeout: 1000, headers: { Authorization: 'Bearer t0ken' } });

  it('asks /-/ready below the configured path, with the configured headers', async () => {
    answerStatus = 200;
    await check(`http://127.0.0.1:${port}/prom`).check(new AbortController().signal);
    expect(seen.at(-1)).to.deep.include({ path: '/prom/-/ready' });
    expect(seen.at(-1)?.headers.authorization).to.equal('Bearer t0ken');
  });

  it('fails with the status Prometheus answers', async () => {
    answerStatus = 503;
    const failure = await check(`http://127.0.0.1:${port}`).check(new AbortController().signal).then(() => undefined, (error: unknown) => error);
    expect(String(failure)).to.equal(`Error: http://127.0.0.1:${port}/-/ready answered HTTP 503`);
  });

  it('sends credentials from the URL as Basic auth, and never names them in an error', async () => {
    answerStatus = 200;
    await prometheusCheck({ url: `http://user:secret@127.0.0.1:${port}`, timeout: 1000, headers: {} }).check(new AbortController().signal);
    expect(seen.at(-1)?.headers.authorization).to.equal(`Basic ${Buffer.from('user:secret').toString('base64')}`);
  });

  it('names the reason when nothing listens, without the credentials of the URL', async () => {
    const closedPort = await freeLoopbackPort();
    const failure = await check(`http://user:secret@127.0.0.1:${closedPort}`).check(new AbortController().signal).then(() => undefined, (error: unknown) => error);
    expect(String(failure)).to.equal(`Error: http://127.0.0.1:${closedPort}/-/ready: connect ECONNREFUSED 127.0.0.1:${closedPort}`);
  });
});

describe('prometheusRequest', () => {
  it('turns credentials in the URL into a Basic Authorization header', () => {
    const request = prometheusRequest({ url: 'https://ops:p%40ss@prom.example.test/api', timeout: 1000, headers: {} }, '-/ready');
    expect(request.url.href).to.equal('https://prom.example.test/api/-/ready');
    expect(request.headers).to.deep.equal({ Authorization: `Basic ${Buffer.from('ops:p@ss').toString('base64')}` });
  });

  it('keeps a configured Authorization header', () => {
    const request = prometheusRequest({ url: 'http://a:b@prom:9090', timeout: 1000, headers: { authorization: 'Bearer x' } }, '-/ready');
    expect(request.url.href).to.equal('http://prom:9090/-/ready');
    expect(request.headers).to.deep.equal({ authorization: 'Bearer x' });
  });
});
