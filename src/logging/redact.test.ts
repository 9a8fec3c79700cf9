import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import { redactSecrets, redactUrlCredentials } from './redact.ts';

describe('redaction', () => {
  it('hides credentials in URLs but keeps the user name and the address', () => {
    expect(redactUrlCredentials('redis://app:s3cret@127.0.0.1:6379/0')).to.equal('redis://app:[REDACTED]@127.0.0.1:6379/0');
    expect(redactUrlCredentials('redis://:s3cret@127.0.0.1:6379')).to.equal('redis://:[REDACTED]@127.0.0.1:6379');
    expect(redactUrlCredentials('cannot reach https://ghp_token123@example.test/x, retrying'))
      .to.equal('cannot reach https://[REDACTED]@example.test/x, retrying');
    expect(redactUrlCredentials('http://127.0.0.1:9090/-/ready')).to.equal('http://127.0.0.1:9090/-/ready');
    expect(redactUrlCredentials('mail me at ops@example.test')).to.equal('mail me at ops@example.test');
  });

  it('hides values under secret-looking keys at any depth, without touching the original', () => {
    const config = {
      clusters: [{ name: 'main', sasl: { mechanism: 'plain', username: 'u', password: 'p' } }],
      prometheus: { headers: { Authorization: 'Bearer abc', 'X-Scope': 'team' } },
      redis: { url: 'redis://:pw@127.0.0.1:1' },
      apiKey: 'k',
      access_token: 't',
      clientSecret: 's',
    };
    expect(redactSecrets(config)).to.deep.equal({
      clusters: [{ name: 'main', sasl: '[REDACTED]' }],
      prometheus: { headers: { Authorization: '[REDACTED]', 'X-Scope': 'team' } },
      redis: { url: 'redis://:[REDACTED]@127.0.0.1:1' },
      apiKey: '[REDACTED]',
      access_token: '[REDACTED]',
      clientSecret: '[REDACTED]',
    });
    expect(config.clusters[0]?.sasl.password).to.equal('p');
  });

  it('survives cycles and errors', () => {
    const looped: Record<string, unknown> = { name: 'a' };
    looped.self = looped;
    expect(redactSecrets(looped)).to.deep.equal({ name: 'a', self: '[Circular]' });
    expect(redactSecrets(new Error('bad redis://u:p@h:1'))).to.deep.equal({ name: 'Error', message: 'bad redis://u:[REDACTED]@h:1' });
  });
});

describe('logger', () => {
  function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done(); },
    });
    return { stream, lines: () => text.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) };
  }

  it('writes one JSON object per line with level, message, timestamp and the component', async () => {
    const output = capture();
    const logger = createLogger({ level: 'info', stream: output.stream });
    logger.child({ component: 'scheduler' }).info('tick', { target: 'orders' });
    logger.debug('not written at info');
    await logger.close();
    const [line, ...rest] = output.lines();
    expect(rest).to.deep.equal([]);
    expect(line).to.include({ level: 'info', message: 'tick', component: 'scheduler', target: 'orders' });
    expect(Date.parse(String(line?.timestamp))).to.be.closeTo(Date.now(), 5000);
  });

  it('redacts secrets in fields and in the message itself', async () => {
    const output = capture();
    const logger = createLogger({ level: 'debug', stream: output.stream });
    logger.warn('connecting to redis://admin:hunter2@127.0.0.1:6379', {
      password: 'hunter2',
      sasl: { username: 'u', password: 'hunter2' },
      headers: { authorization: 'Bearer hunter2' },
      url: 'https://x:hunter2@example.test',
    });
    await logger.close();
    const text = JSON.stringify(output.lines());
    expect(text).not.to.include('hunter2');
    expect(output.lines()[0]).to.deep.include({
      message: 'connecting to redis://admin:[REDACTED]@127.0.0.1:6379',
      password: '[REDACTED]',
      sasl: '[REDACTED]',
      url: 'https://x:[REDACTED]@example.test',
    });
  });
});
