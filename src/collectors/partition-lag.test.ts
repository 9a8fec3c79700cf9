import { expect } from 'chai';
import { partitionLag, type PartitionOffsets } from './partition-lag.ts';

function offsets(overrides: Partial<PartitionOffsets>): PartitionOffsets {
  return { committedOffset: 40n, logStartOffset: 10n, logEndOffset: 100n, hasLeader: true, committedKnown: true, ...overrides };
}

describe('partitionLag', () => {
  it('is log end minus committed offset in the ordinary case, with no flag', () => {
    expect(partitionLag(offsets({}), 'latest')).to.deep.equal({ lag: 60n, resumeOffset: 40n, flags: [] });
  });

  it('counts only retained messages when the committed offset is below the log start', () => {
    expect(partitionLag(offsets({ committedOffset: 3n }), 'latest')).to.deep.equal({ lag: 90n, resumeOffset: 10n, flags: ['committed-below-log-start'] });
  });

  it('follows the reset policy when nothing was committed', () => {
    expect(partitionLag(offsets({ committedOffset: null }), 'earliest')).to.deep.equal({ lag: 90n, resumeOffset: 10n, flags: ['no-committed-offset'] });
    expect(partitionLag(offsets({ committedOffset: null }), 'latest')).to.deep.equal({ lag: 0n, resumeOffset: 100n, flags: ['no-committed-offset'] });
  });

  it('never counts a partition without a leader as 0', () => {
    expect(partitionLag(offsets({ hasLeader: false, logStartOffset: null, logEndOffset: null }), 'earliest')).to.deep.equal({ lag: null, resumeOffset: null, flags: ['no-leader'] });
  });

  it('is unknown when offsets or committed offsets could not be read', () => {
    expect(partitionLag(offsets({ logEndOffset: null }), 'latest').lag).to.equal(null);
    expect(partitionLag(offsets({ logEndOffset: null }), 'latest').flags).to.deep.equal(['offsets-unavailable']);
    expect(partitionLag(offsets({ committedKnown: false }), 'latest').flags).to.deep.equal(['committed-unavailable']);
  });

  it('is 0 and flagged when the committed offset is past the log end', () => {
    expect(partitionLag(offsets({ committedOffset: 120n }), 'latest')).to.deep.equal({ lag: 0n, resumeOffset: 100n, flags: ['committed-beyond-log-end'] });
  });
});
