// The Kafka admin operations lagpilot's collectors and actuators need, and nothing else. The
// rest of lagpilot depends on this contract, never on a client library, so the client can be
// swapped (docs/decisions/0002-kafka-client.md records why it is @platformatic/kafka) and a
// sweep can report how many requests it cost.

/** Which group protocol a group speaks: classic (JoinGroup/SyncGroup) or KIP-848 "consumer". */
export type GroupType = 'classic' | 'consumer';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerGroupListing {
  groupId: string;
  /** Broker's state name, e.g. Stable, Empty, PreparingRebalance (classic), Reconciling (consumer). */
  state: string;
  /** "consumer" for both classic consumer groups and KIP-848 groups; "" for groups of other clients. */
  protocolType: string;
  /** The group protocol, or undefined when the broker did not say (ListGroups before v5). */
  groupType: GroupType | undefined;
}

export interface GroupMemberDescription {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** The static membership id (group.instance.id), if the member set one. */
  instanceId: string | null;
  /** The partitions the member currently owns, sorted by topic then partition. */
  assignment: TopicPartitions[];
}

export interface ConsumerGroupDescription {
  groupId: string;
  groupType: GroupType;
  /** Broker's state name; "Dead" for a group the coordinator does not know. */
  state: string;
  /** The assignor in use (classic: the protocol name, e.g. "range"; consumer: e.g. "uniform"). */
  assignor: string;
  members: GroupMemberDescription[];
}

export interface CommittedOffset extends TopicPartition {
  /** The next offset the group will consume; -1 when the partition has no committed offset. */
  offset: bigint;
  metadata: string | null;
}

/** Which offset of each partition ListOffsets should return. */
export type OffsetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  /** The earliest offset whose record timestamp is at or after this time (epoch milliseconds). */
  | { kind: 'timestamp'; timestampMs: number };

export interface ListedOffset extends TopicPartition {
  /** -1 when no record matches a timestamp query. */
  offset: bigint;
  /** The matched record's timestamp for timestamp queries; -1 otherwise. */
  timestampMs: number;
}

export interface PartitionDescription {
  partition: number;
  /** -1 while the partition has no leader. */
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface TopicDescription {
  name: string;
  topicId: string;
  partitions: PartitionDescription[];
}

export interface FetchedRecord extends TopicPartition {
  offset: bigint;
  /** The record's timestamp in epoch milliseconds (create time, or log-append time if the topic uses it). */
  timestampMs: number;
  key: Buffer | null;
  valueBytes: number;
}

export interface RecordPosition extends TopicPartition {
  offset: bigint;
}

export interface BrokerDescription {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterDescription {
  clusterId: string;
  /** The node id clients are told is the controller (in KRaft a broker id chosen by the cluster). */
  controllerId: number;
  brokers: BrokerDescription[];
}

export type ConfigResourceKind = 'topic' | 'broker';

export interface ConfigResource {
  kind: ConfigResourceKind;
  /** Topic name, or the broker's node id as a string. */
  name: string;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
}

export interface ResourceConfig extends ConfigResource {
  entries: Map<string, ConfigEntry>;
}

export interface LogDirDescription {
  brokerId: number;
  path: string;
  totalBytes: bigint;
  usableBytes: bigint;
  partitions: (TopicPartition & { sizeBytes: bigint })[];
}

export interface RecordDeletion extends TopicPartition {
  /** Records before this offset are deleted; -1 deletes up to the high watermark. */
  beforeOffset: bigint;
}

export interface DeletedRecords extends TopicPartition {
  lowWatermark: bigint;
}

export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs?: Record<string, string>;
}

export interface ReassignmentRequest extends TopicPartition {
  /** The target replica list, or null to cancel an ongoing reassignment. */
  replicas: number[] | null;
}

export interface OngoingReassignment extends TopicPartition {
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/** Changes to one resource's dynamic configs: entries to set and entries to remove (back to their defaults). */
export interface ConfigChange extends ConfigResource {
  set?: Record<string, string>;
  delete?: string[];
}

export interface LeaderElectionResult extends TopicPartition {
  /** null when the preferred replica now leads (or already led: ELECTION_NOT_NEEDED); else Kafka's error name and message. */
  error: string | null;
}

/** Requests sent so far, by Kafka API name (e.g. "OffsetFetch"). */
export type RequestCounts = Record<string, number>;

export interface KafkaAdminPort {
  listConsumerGroups(): Promise<ConsumerGroupListing[]>;
  /** Classic groups through DescribeGroups, KIP-848 groups through ConsumerGroupDescribe. */
  describeConsumerGroups(groupIds: string[]): Promise<Map<string, ConsumerGroupDescription>>;
  /** Committed offsets of many groups, in one OffsetFetch request per coordinator. */
  fetchCommittedOffsets(groupIds: string[]): Promise<Map<string, CommittedOffset[]>>;
  /** Offsets of many partitions, in one ListOffsets request per leader broker. */
  listOffsets(partitions: TopicPartition[], spec: OffsetSpec): Promise<ListedOffset[]>;
  /**
   * Names of all topics but Kafka's internal ones, sorted: what a topic pattern is matched against.
   * With includeInternal, __consumer_offsets and the other internal topics too (a broker drain must see every replica).
   */
  listTopics(options?: { includeInternal?: boolean }): Promise<string[]>;
  /** Metadata of the named topics only. Fails with UNKNOWN_TOPIC naming any that do not exist. */
  describeTopics(topics: string[]): Promise<TopicDescription[]>;
  /**
   * The record at an offset (or the first one after it if the offset was compacted away), read with
   * a small byte budget; null when the partition has no record at or after the offset.
   */
  fetchRecord(topic: string, partition: number, offset: bigint): Promise<FetchedRecord | null>;
  /** fetchRecord for many positions: one Metadata request, one Fetch per leader broker. Results in input order. */
  fetchRecords(positions: RecordPosition[]): Promise<(FetchedRecord | null)[]>;
  describeCluster(): Promise<ClusterDescription>;
  describeConfigs(resources: ConfigResource[]): Promise<ResourceConfig[]>;
  describeLogDirs(): Promise<LogDirDescription[]>;
  deleteRecords(deletions: RecordDeletion[]): Promise<DeletedRecords[]>;
  createTopics(topics: NewTopic[]): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  alterPartitionReassignments(reassignments: ReassignmentRequest[]): Promise<void>;
  /** Ongoing reassignments, of the named topics or of all topics. */
  listPartitionReassignments(topics?: string[]): Promise<OngoingReassignment[]>;
  /** IncrementalAlterConfigs: a broker's changes are sent to that broker, topics' to any broker. */
  incrementalAlterConfigs(changes: ConfigChange[]): Promise<void>;
  /** ElectLeaders (preferred): moves leadership of each partition to the first replica of its list. */
  electPreferredLeaders(partitions: TopicPartition[]): Promise<LeaderElectionResult[]>;
  /** UnregisterBroker (KRaft): forgets a broker that was shut down for good. */
  unregisterBroker(nodeId: number): Promise<void>;
  /** A copy of the per-API request counters since the client was created. */
  requestCounts(): RequestCounts;
  /** Closes the one connection pool. Safe to call more than once. */
  close(): Promise<void>;
}

/** Requests sent between two snapshots of requestCounts(), without the APIs that were not used. */
export function requestCountsBetween(before: RequestCounts, after: RequestCounts): RequestCounts {
  const sent: RequestCounts = {};
  for (const [api, count] of Object.entries(after)) {
    const delta = count - (before[api] ?? 0);
    if (delta > 0) sent[api] = delta;
  }
  return sent;
}

export function totalRequests(counts: RequestCounts): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}
