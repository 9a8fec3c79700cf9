import { expect } from 'chai';
import type { ConsumerGroupListing } from '../kafka/admin-port.ts';
import { committedTopics, discoverGroups, groupMatcher, isConsumerGroupListing } from './group-discovery.ts';

function listing(groupId: string, overrides: Partial<ConsumerGroupListing> = {}): ConsumerGroupListing {
  return { groupId, state: 'Stable', protocolType: 'consumer', groupType: 'classic', ...overrides };
}

const nobody = (): boolean => false;

describe('group discovery', () => {
  it('matches listed ids and whole-id patterns, and the exclusion wins over both', () => {
    const matches = groupMatcher({ groups: ['billing'], groupPattern: 'orders-.*', excludeGroupPattern: 'orders-test.*|billing' });
    expect(matches('orders-eu')).to.equal(true);
    expect(matches('orders-test-1')).to.equal(false);
    expect(matches('billing')).to.equal(false);
    // Whole id: the pattern is anchored at both ends.
    expect(matches('old-orders-eu')).to.equal(false);
    expect(groupMatcher({ groups: ['billing'] })('billing')).to.equal(true);
    expect(groupMatcher({ groups: ['billing'] })('billing-2')).to.equal(false);
  });

  it('keeps consumer and offset-only groups, not Connect workers or dead groups', () => {
    expect(isConsumerGroupListing(listing('a'))).to.equal(true);
    expect(isConsumerGroupListing(listing('b', { protocolType: '' }))).to.equal(true);
    expect(isConsumerGroupListing(listing('c', { protocolType: 'connect' }))).to.equal(false);
    expect(isConsumerGroupListing(listing('d', { state: 'Dead' }))).to.equal(false);
  });

  it('returns the selected groups sorted, without those owned by a target or an earlier entry', () => {
    const listings = [listing('orders-b'), listing('orders-a'), listing('orders-scaled'), listing('payments'), listing('orders-connect', { protocolType: 'connect' })];
    const groups = discoverGroups(listings, { matcher: groupMatcher({ groupPattern: 'orders-.*' }), claimedElsewhere: (group) => group === 'orders-scaled' });
    expect(groups).to.deep.equal(['orders-a', 'orders-b']);
    expect(discoverGroups([], { matcher: groupMatcher({ groupPattern: '.*' }), claimedElsewhere: nobody })).to.deep.equal([]);
  });

  it('takes the topics of the committed offsets, once each, through the topic filter', () => {
    const committed = [{ topic: 'orders' }, { topic: 'orders' }, { topic: 'audit' }, { topic: 'orders-dlq' }];
    expect(committedTopics(committed, undefined)).to.deep.equal(['audit', 'orders', 'orders-dlq']);
    expect(committedTopics(committed, 'orders')).to.deep.equal(['orders']);
    expect(committedTopics([], undefined)).to.deep.equal([]);
  });
});
