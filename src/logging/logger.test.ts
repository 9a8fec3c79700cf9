import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';

describe('logger levels', () => {
  it('writes lines at and above its level, nothing below it, for children too', async () => {
    let output = '';
    const logger = createLogger({ level: 'info', stream: new Writable({ write: (chunk: Buffer, _encoding, done) => { output += chunk.toString(); done(); } }) });
    const child = logger.child({ component: 'test' });
    child.debug('hidden line', { token: 'x' });
    child.info('shown line', { n: 1 });
    logger.error('error line');
    await logger.close();
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.message)).to.deep.equal(['shown line', 'error line']);
    expect(lines[0]).to.include({ level: 'info', component: 'test', n: 1 });
  });
});
