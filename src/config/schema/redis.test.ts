import { expect } from 'chai';
import { parseWithMinimalConfig as parse } from './parse-for-test.ts';

describe('config: redis', () => {
  it('gives every Redis command a time limit of 2 s unless told otherwise', () => {
    const result = parse('redis: {url: "redis://127.0.0.1:6379/0"}\n');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.redis).to.deep.equal({ url: 'redis://127.0.0.1:6379/0', keyPrefix: 'lagpilot:', commandTimeout: 2_000 });
  });

  it('reads a command time limit written as a duration', () => {
    const result = parse('redis: {url: "redis://127.0.0.1:6379/0", commandTimeout: 750ms}\n');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.redis?.commandTimeout).to.equal(750);
  });

  it('refuses a command time limit of zero or one that is not a duration, naming the field', () => {
    const zero = parse('redis: {url: "redis://127.0.0.1:6379/0", commandTimeout: 0s}\n');
    expect(zero.ok).to.equal(false);
    if (!zero.ok) expect(zero.problems.join('\n')).to.contain('redis.commandTimeout').and.to.contain('must be longer than 0s');
    const words = parse('redis: {url: "redis://127.0.0.1:6379/0", commandTimeout: forever}\n');
    expect(words.ok).to.equal(false);
    if (!words.ok) expect(words.problems.join('\n')).to.contain('redis.commandTimeout').and.to.contain('"forever" is not a duration');
  });
});
