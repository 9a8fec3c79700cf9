import { expect } from 'chai';
import { brokersActuatorSchema } from '../config/schema/actuators.ts';
import { LocalProcessBrokerPool } from './brokers-pool.ts';

describe('local-process broker pool', () => {
  it('starts the listed brokers in order, stops the last added first, and never stops one it did not start', async () => {
    const idle = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
    const parsed = brokersActuatorSchema.parse({
      kind: 'brokers',
      bootstrap: ['127.0.0.1:9092'],
      pool: { kind: 'localProcess', stopTimeout: '5s', nodes: [{ nodeId: 1 }, { nodeId: 2, ...idle }, { nodeId: 3, ...idle }] },
    });
    if (parsed.pool.kind !== 'localProcess') throw new Error('expected a localProcess pool');
    // Broker 1 runs already (started by someone else); 2 and 3 are the pool's to start.
    const pool = new LocalProcessBrokerPool(parsed.pool, () => Promise.resolve([1]));
    expect(pool.nodeIds(2)).to.deep.equal([1, 2]);
    expect(await pool.size()).to.equal(1);
    await pool.resize(3);
    expect(await pool.size()).to.equal(3);
    await pool.resize(2);
    expect(await pool.size()).to.equal(2);
    await pool.resize(1);
    expect(await pool.size()).to.equal(1);
    let refusal: unknown;
    try {
      await pool.resize(0);
    } catch (error) {
      refusal = error;
    }
    expect(String(refusal)).to.equal('Error: broker 1 was not started by lagpilot (no command, or started before): stop it yourself');
    let tooMany: unknown;
    try {
      await pool.resize(4);
    } catch (error) {
      tooMany = error;
    }
    expect(String(tooMany)).to.equal('Error: local brokers 1, 2, 3: 4 brokers asked for, the pool lists 3');
  });

  it('refuses a pool that lists a node id twice', () => {
    const parsed = brokersActuatorSchema.safeParse({
      kind: 'brokers',
      bootstrap: ['127.0.0.1:9092'],
      pool: { kind: 'localProcess', nodes: [{ nodeId: 1 }, { nodeId: 1 }] },
    });
    expect(parsed.success).to.equal(false);
    expect(parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).to.deep.equal(['pool.nodes.1.nodeId: node id 1 is listed twice']);
  });
});
