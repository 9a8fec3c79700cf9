import { expect } from 'chai';
import { Reader } from '@platformatic/kafka';
import { createElectLeadersRequest, parseElectLeadersResponse, preferredElection } from './elect-leaders-api.ts';

describe('ElectLeaders v2 encoding', () => {
  it('writes the election type, the partitions of each topic and the timeout in the flexible format', () => {
    const bytes = createElectLeadersRequest(preferredElection, [{ topic: 'ab', partitions: [0, 5] }], 1000).buffer;
    expect(bytes.toString('hex')).to.equal(
      // type, 1 topic, "ab", 2 partitions: 0 and 5, topic tags, timeout 1000 ms, request tags
      ['00', '02', '036162', '03', '00000000', '00000005', '00', '000003e8', '00'].join(''),
    );
  });

  it('writes a null topic list (every partition) as a compact null array', () => {
    expect(createElectLeadersRequest(preferredElection, null, 500).buffer.toString('hex')).to.equal('00' + '00' + '000001f4' + '00');
  });

  it('reads each partition\'s result, ELECTION_NOT_NEEDED included, as a result rather than a failure', () => {
    const response = Buffer.from(
      [
        '00000000', // throttle
        '0000', // error code
        '02', // 1 topic
        '036162', // "ab"
        '03', // 2 partitions
        '00000000', '0054', '00', '00', // partition 0: ELECTION_NOT_NEEDED (84), no message, tags
        '00000005', '0000', '00', '00', // partition 5: elected
        '00', // topic tags
        '00', // response tags
      ].join(''),
      'hex',
    );
    expect(parseElectLeadersResponse(0, 43, 2, Reader.from(response))).to.deep.equal({
      throttleTimeMs: 0,
      errorCode: 0,
      results: [{ topic: 'ab', partitions: [{ partitionId: 0, errorCode: 84, errorMessage: null }, { partitionId: 5, errorCode: 0, errorMessage: null }] }],
    });
  });
});
