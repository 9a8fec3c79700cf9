// Which consumer groups a `monitor` entry watches: the cluster's group list (one ListGroups per
// sweep, whatever the number of groups) filtered by the entry's names and patterns, less the
// groups another part of the config already exports. A group is exported by exactly one owner,
// decided from the config alone so the answer never depends on which sweep ran first: a target
// of the same group wins over every monitor entry, and an earlier monitor entry over a later one.
import type { ConsumerGroupListing } from '../kafka/admin-port.ts';

export interface GroupSelection {
  groups?: readonly string[] | undefined;
  groupPattern?: string | undefined;
  excludeGroupPattern?: string | undefined;
}

export type GroupMatcher = (groupId: string) => boolean;

function wholeIdPattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** Whether a group id is selected: listed or matching the pattern, and not excluded. */
export function groupMatcher(selection: GroupSelection): GroupMatcher {
  const listed = new Set(selection.groups ?? []);
  const include = selection.groupPattern === undefined ? undefined : wholeIdPattern(selection.groupPattern);
  const exclude = selection.excludeGroupPattern === undefined ? undefined : wholeIdPattern(selection.excludeGroupPattern);
  return (groupId) => {
    if (exclude?.test(groupId) === true) return false;
    return listed.has(groupId) || include?.test(groupId) === true;
  };
}

/**
 * Groups whose offsets lagpilot can read as a consumer's: classic consumer groups and KIP-848
 * groups ("consumer"), and groups that only ever committed offsets through the admin API ("").
 * Connect workers' and other protocols' groups have no consumer offsets to judge.
 */
export function isConsumerGroupListing(listing: ConsumerGroupListing): boolean {
  return (listing.protocolType === 'consumer' || listing.protocolType === '') && listing.state !== 'Dead';
}

export interface DiscoveryRules {
  matcher: GroupMatcher;
  /** Owned elsewhere (a target, an earlier monitor entry on the same cluster): never returned. */
  claimedElsewhere: GroupMatcher;
}

/** The group ids to watch, sorted, from one ListGroups answer. */
export function discoverGroups(listings: readonly ConsumerGroupListing[], rules: DiscoveryRules): string[] {
  const selected = new Set<string>();
  for (const listing of listings) {
    if (!isConsumerGroupListing(listing)) continue;
    if (!rules.matcher(listing.groupId) || rules.claimedElsewhere(listing.groupId)) continue;
    selected.add(listing.groupId);
  }
  return [...selected].sort();
}

/** Topics of a group's committed offsets that the topic filter keeps, sorted. */
export function committedTopics(committed: readonly { topic: string }[], topicPattern: string | undefined): string[] {
  const pattern = topicPattern === undefined ? undefined : wholeIdPattern(topicPattern);
  const topics = new Set<string>();
  for (const { topic } of committed) {
    if (pattern === undefined || pattern.test(topic)) topics.add(topic);
  }
  return [...topics].sort();
}
