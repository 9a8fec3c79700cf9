// The Kafka admin port on @platformatic/kafka (chosen in docs/decisions/0002-kafka-client.md).
// Its high-level Admin covers most calls; ConsumerGroupDescribe (KIP-848 groups), Fetch,
// DescribeCluster, DescribeLogDirs for all topics and the reassignment APIs are sent with the
// package's protocol-level APIs over the Admin's own connection pool, so there is still one pool
// per cluster and every request is counted.
import { tracingChannel } from 'node:diagnostics_channel';
import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  DescribeClusterEndpointTypes,
  FetchIsolationLevels,
  FindCoordinatorKeyTypes,
  IncrementalAlterConfigOperationTypes,
  alterPartitionReassignmentsV0,
  channelsNamespace,
  consumerGroupDescribeV0,
  describeClusterV1,
  describeLogDirsV4,
  fetchV17,
  incrementalAlterConfigsV1,
  listPartitionReassignmentsV0,
  listOffsetsV9,
  metadataV12,
  protocolAPIsById,
  protocolErrorsCodesById,
  unregisterBrokerV0,
  type Broker,
  type ClusterMetadata,
  type Connection,
  type Group,
  type RecordsBatch,
} from '@platformatic/kafka';
import type {
  ClusterDescription,
  CommittedOffset,
  ConfigChange,
  ConfigResource,
  ConsumerGroupDescription,
  ConsumerGroupListing,
  DeletedRecords,
  FetchedRecord,
  GroupMemberDescription,
  KafkaAdminPort,
  LeaderElectionResult,
  ListedOffset,
  LogDirDescription,
  NewTopic,
  OffsetSpec,
  OngoingReassignment,
  RecordPosition,
  ReassignmentRequest,
  RecordDeletion,
  RequestCounts,
  ResourceConfig,
  TopicDescription,
  TopicPartition,
  TopicPartitions,
} from './admin-port.ts';
import { electLeadersV2, preferredElection } from './elect-leaders-api.ts';
import { KafkaAdminError, codeForKafkaError } from './errors.ts';
import { translateError } from './platformatic-errors.ts';

export interface PlatformaticAdminOptions {
  /** "host:port" addresses of one or more brokers of the cluster. */
  bootstrapServers: string[];
  clientId?: string;
  /** Per-request timeout. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Retries of retriable errors (e.g. a coordinator still loading). Default 2. */
  retries?: number;
  /** Delay between retries. Default 200 ms. */
  retryDelayMs?: number;
  /** Byte budget of fetchRecord: enough for one batch of small records. Default 64 KiB. */
  fetchRecordMaxBytes?: number;
}

// Kafka's error code for "this group is not a KIP-848 group" in ConsumerGroupDescribe answers.
const groupIdNotFound = 69;
const unknownTopicOrPartition = 3;
const leaderNotAvailable = 5;
// ElectLeaders: the preferred replica already leads; nothing to do.
const electionNotNeeded = 84;
const listOffsetsEarliest = -2n;
const listOffsetsLatest = -1n;
// Bit 3 of a record batch's attributes: the broker stamped LogAppendTime into maxTimestamp.
const logAppendTimeAttribute = 0x08;
// Bit 5: a control batch (transaction commit/abort markers), which holds no data record.
const controlBatchAttribute = 0x20;
const apiRequestsChannelName = `${channelsNamespace}:connections:api`;

interface ApiRequestContext {
  connection: { ownerId: number | undefined };
  apiKey: number;
}

function ignoreTraceEvent(): void {
  // Only the start of a request is counted.
}

/** The package's nullable strings may also be undefined; the port speaks null. */
function orNull(value: string | null | undefined): string | null {
  return value ?? null;
}

function isApiRequestContext(value: unknown): value is ApiRequestContext {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ApiRequestContext>;
  return typeof candidate.apiKey === 'number' && typeof candidate.connection === 'object';
}

function checkedBootstrapAddress(address: string): string {
  if (!/^[^:\s]+:\d+$/.test(address)) {
    throw new KafkaAdminError('INVALID_REQUEST', 'connect', `bootstrap server "${address}" is not "host:port"`);
  }
  return address;
}

function sortedAssignment(assignment: TopicPartitions[]): TopicPartitions[] {
  return assignment
    .map(({ topic, partitions }) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

function failWithKafkaError(operation: string, subject: string, errorCode: number, serverMessage: string | null): never {
  const kafkaError = protocolErrorsCodesById[errorCode] ?? `error code ${String(errorCode)}`;
  const detail = serverMessage === null || serverMessage === '' ? '' : ` (${serverMessage})`;
  throw new KafkaAdminError(codeForKafkaError(kafkaError), operation, `${subject}: Kafka answered ${kafkaError}${detail}`, { kafkaError });
}

/** The named topics as a Metadata answer describes them, in the order named; a topic missing from it is UNKNOWN_TOPIC. */
function topicDescriptions(names: string[], response: metadataV12.MetadataResponse): TopicDescription[] {
  const byName = new Map(response.topics.map((topic) => [topic.name, topic]));
  return names.map((name) => {
    const topic = byName.get(name);
    if (topic === undefined || topic.errorCode === unknownTopicOrPartition) {
      throw new KafkaAdminError('UNKNOWN_TOPIC', 'describeTopics', `topic ${name} does not exist`, { kafkaError: 'UNKNOWN_TOPIC_OR_PARTITION' });
    }
    if (topic.errorCode !== 0) failWithKafkaError('describeTopics', `topic ${name}`, topic.errorCode, null);
    return {
      name,
      topicId: topic.topicId,
      partitions: [...topic.partitions]
        .sort((a, b) => a.partitionIndex - b.partitionIndex)
        .map((partition) => ({
          partition: partition.partitionIndex,
          leader: partition.errorCode === leaderNotAvailable ? -1 : partition.leaderId,
          replicas: [...partition.replicaNodes],
          isr: [...partition.isrNodes],
        })),
    };
  });
}

/** The first data record at or after the offset (compaction or a transaction marker can take the one asked for). */
function firstRecordAtOrAfter(topic: string, partition: number, offset: bigint, batches: RecordsBatch[]): FetchedRecord | null {
  for (const batch of batches) {
    if ((batch.attributes & controlBatchAttribute) !== 0) continue;
    for (const record of batch.records) {
      const recordOffset = batch.firstOffset + BigInt(record.offsetDelta);
      if (recordOffset < offset) continue;
      const logAppendTime = (batch.attributes & logAppendTimeAttribute) !== 0;
      const timestamp = logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta;
      return { topic, partition, offset: recordOffset, timestampMs: Number(timestamp), key: record.key, valueBytes: record.value?.length ?? 0 };
    }
  }
  return null;
}

function groupTypeOf(value: string | undefined): 'classic' | 'consumer' | undefined {
  if (value === 'classic' || value === 'consumer') return value;
  return undefined;
}

function describeClassicGroup(group: Group): ConsumerGroupDescription {
  const members: GroupMemberDescription[] = [...group.members.values()].map((member) => ({
    memberId: member.id,
    clientId: member.clientId,
    clientHost: member.clientHost,
    instanceId: orNull(member.groupInstanceId),
    assignment: sortedAssignment(
      [...(member.assignments?.values() ?? [])].map(({ topic, partitions }) => ({ topic, partitions })),
    ),
  }));
  return { groupId: group.id, groupType: 'classic', state: group.state, assignor: group.protocol, members };
}

export class PlatformaticKafkaAdmin implements KafkaAdminPort {
  readonly #admin: Admin;
  readonly #fetchRecordMaxBytes: number;
  readonly #requestTimeoutMs: number;
  readonly #requestCounts = new Map<number, number>();
  readonly #requestCounter = {
    start: (message: object) => {
      if (!isApiRequestContext(message) || message.connection.ownerId !== this.#admin.instanceId) return;
      this.#requestCounts.set(message.apiKey, (this.#requestCounts.get(message.apiKey) ?? 0) + 1);
    },
    end: ignoreTraceEvent,
    asyncStart: ignoreTraceEvent,
    asyncEnd: ignoreTraceEvent,
    error: ignoreTraceEvent,
  };
  #closing: Promise<void> | undefined;
  readonly #bootstrapBrokers: Broker[];
  #answeringBrokers: Broker[] = [];

  constructor(options: PlatformaticAdminOptions) {
    if (options.bootstrapServers.length === 0) {
      throw new KafkaAdminError('INVALID_REQUEST', 'connect', 'no bootstrap servers given');
    }
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#fetchRecordMaxBytes = options.fetchRecordMaxBytes ?? 64 * 1024;
    this.#bootstrapBrokers = options.bootstrapServers.map((address) => {
      const [host = '', port = ''] = checkedBootstrapAddress(address).split(':');
      return { host, port: Number(port) };
    });
    this.#admin = new Admin({
      clientId: options.clientId ?? 'lagpilot',
      bootstrapBrokers: options.bootstrapServers.map(checkedBootstrapAddress),
      timeout: this.#requestTimeoutMs,
      retries: options.retries ?? 2,
      retryDelay: options.retryDelayMs ?? 200,
      autocreateTopics: false,
    });
    tracingChannel(apiRequestsChannelName).subscribe(this.#requestCounter);
  }

  requestCounts(): RequestCounts {
    const counts: RequestCounts = {};
    for (const [apiKey, count] of this.#requestCounts) counts[protocolAPIsById[apiKey] ?? `api-${String(apiKey)}`] = count;
    return counts;
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#admin.close();
      } finally {
        tracingChannel(apiRequestsChannelName).unsubscribe(this.#requestCounter);
      }
    })();
    return this.#closing;
  }

  async #run<Result>(operation: string, subject: string, action: () => Promise<Result>): Promise<Result> {
    if (this.#closing !== undefined) throw new KafkaAdminError('CLOSED', operation, `${subject}: the Kafka admin client is closed`);
    try {
      return await action();
    } catch (error) {
      throw translateError(operation, subject, error);
    }
  }

  async #metadata(topics: string[]): Promise<ClusterMetadata> {
    return this.#admin.metadata({ topics, forceUpdate: true, autocreateTopics: false });
  }

  /**
   * Metadata of the named topics, or of every topic when `topics` is null, sent directly rather
   * than through the client's metadata cache, which refuses the whole answer when any partition
   * reports LEADER_NOT_AVAILABLE: a leaderless partition is what callers must see (leader -1),
   * e.g. while a broker is down.
   */
  async #topicMetadata(topics: string[] | null): Promise<metadataV12.MetadataResponse> {
    // The brokers of the last answer first (they were alive), then the bootstrap addresses.
    const connection = await this.#admin.connections.getFirstAvailable([...this.#answeringBrokers, ...this.#bootstrapBrokers]);
    const response = await metadataV12.api.async(connection, topics, false, false).catch((error: unknown) => {
      const partial = (error as { response?: unknown }).response;
      if (partial !== undefined) return partial as metadataV12.MetadataResponse;
      throw error;
    });
    this.#answeringBrokers = response.brokers.map((broker) => ({ host: broker.host, port: broker.port }));
    return response;
  }

  async #connectionTo(broker: Broker): Promise<Connection> {
    return this.#admin.connections.get(broker);
  }

  /** A connection to the first of `knownBrokers`, or of the brokers in freshly read metadata when none are given. */
  async #anyBrokerConnection(knownBrokers?: Iterable<Broker>): Promise<Connection> {
    const brokers = knownBrokers ?? (await this.#metadata([])).brokers.values();
    for (const broker of brokers) return this.#connectionTo(broker);
    throw new KafkaAdminError('BROKER_UNREACHABLE', 'connect', 'the cluster reported no brokers');
  }

  async listConsumerGroups(): Promise<ConsumerGroupListing[]> {
    return this.#run('listConsumerGroups', 'all groups', async () => {
      const groups = await this.#admin.listGroups({ types: ['classic', 'consumer'] });
      return [...groups.values()]
        .map((group) => ({
          groupId: group.id,
          state: group.state,
          protocolType: group.protocolType,
          groupType: groupTypeOf(group.groupType),
        }))
        .sort((a, b) => a.groupId.localeCompare(b.groupId));
    });
  }

  async describeConsumerGroups(groupIds: string[]): Promise<Map<string, ConsumerGroupDescription>> {
    const subject = `groups ${groupIds.join(', ')}`;
    return this.#run('describeConsumerGroups', subject, async () => {
      const described = new Map<string, ConsumerGroupDescription>();
      if (groupIds.length === 0) return described;
      const classicCandidates: string[] = [];
      const coordinators = await this.#admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: groupIds });
      const groupsByCoordinator = new Map<number, { broker: Broker; groupIds: string[] }>();
      for (const coordinator of coordinators) {
        const entry = groupsByCoordinator.get(coordinator.nodeId) ?? { broker: { host: coordinator.host, port: coordinator.port }, groupIds: [] };
        entry.groupIds.push(coordinator.key);
        groupsByCoordinator.set(coordinator.nodeId, entry);
      }
      for (const { broker, groupIds: coordinatedIds } of groupsByCoordinator.values()) {
        const connection = await this.#connectionTo(broker);
        const response = await consumerGroupDescribeV0.api.async(connection, coordinatedIds, false).catch((error: unknown) => {
          // The package raises a response with any failed group as an error; the response is kept on it.
          const partial = (error as { response?: unknown }).response;
          if (partial !== undefined) return partial as consumerGroupDescribeV0.ConsumerGroupDescribeResponse;
          throw error;
        });
        for (const group of response.groups) {
          if (group.errorCode === groupIdNotFound) {
            classicCandidates.push(group.groupId);
            continue;
          }
          if (group.errorCode !== 0) failWithKafkaError('describeConsumerGroups', `group ${group.groupId}`, group.errorCode, orNull(group.errorMessage));
          described.set(group.groupId, {
            groupId: group.groupId,
            groupType: 'consumer',
            state: group.groupState,
            assignor: group.assignorName,
            members: group.members.map((member) => ({
              memberId: member.memberId,
              clientId: member.clientId,
              clientHost: member.clientHost,
              instanceId: orNull(member.instanceId),
              assignment: sortedAssignment(
                member.assignment.topicPartitions.map(({ topicName, partitions }) => ({ topic: topicName, partitions })),
              ),
            })),
          });
        }
      }
      if (classicCandidates.length > 0) {
        const classicGroups = await this.#admin.describeGroups({ groups: classicCandidates });
        for (const groupId of classicCandidates) {
          const group = classicGroups.get(groupId);
          described.set(
            groupId,
            group === undefined ? { groupId, groupType: 'classic', state: 'Dead', assignor: '', members: [] } : describeClassicGroup(group),
          );
        }
      }
      return new Map(groupIds.flatMap((groupId) => {
        const description = described.get(groupId);
        return description === undefined ? [] : [[groupId, description] as const];
      }));
    });
  }

  async fetchCommittedOffsets(groupIds: string[]): Promise<Map<string, CommittedOffset[]>> {
    const subject = groupIds.length <= 5 ? `groups ${groupIds.join(', ')}` : `${String(groupIds.length)} groups`;
    return this.#run('fetchCommittedOffsets', subject, async () => {
      const offsets = new Map<string, CommittedOffset[]>();
      if (groupIds.length === 0) return offsets;
      const groups = await this.#admin.listConsumerGroupOffsets({ groups: groupIds });
      for (const group of groups) {
        const committed: CommittedOffset[] = [];
        for (const topic of group.topics) {
          for (const partition of topic.partitions) {
            committed.push({ topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset, metadata: orNull(partition.metadata) });
          }
        }
        committed.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        offsets.set(group.groupId, committed);
      }
      return offsets;
    });
  }

  async listOffsets(partitions: TopicPartition[], spec: OffsetSpec): Promise<ListedOffset[]> {
    const topicNames = [...new Set(partitions.map((p) => p.topic))];
    return this.#run('listOffsets', `topics ${topicNames.join(', ')}`, async () => {
      if (partitions.length === 0) return [];
      const timestamp =
        spec.kind === 'earliest' ? listOffsetsEarliest : spec.kind === 'latest' ? listOffsetsLatest : BigInt(spec.timestampMs);
      const metadata = await this.#topicMetadata(topicNames);
      const brokers = new Map(metadata.brokers.map((broker) => [broker.nodeId, { host: broker.host, port: broker.port }]));
      const topicsByName = new Map(metadata.topics.map((topic) => [topic.name, topic]));
      const requestsByLeader = new Map<number, Map<string, listOffsetsV9.ListOffsetsRequestPartition[]>>();
      for (const { topic, partition } of partitions) {
        const topicMetadata = topicsByName.get(topic);
        if (topicMetadata === undefined || topicMetadata.errorCode === unknownTopicOrPartition) {
          throw new KafkaAdminError('UNKNOWN_TOPIC', 'listOffsets', `topic ${topic} does not exist`, { kafkaError: 'UNKNOWN_TOPIC_OR_PARTITION' });
        }
        const partitionMetadata = topicMetadata.partitions.find((p) => p.partitionIndex === partition);
        if (partitionMetadata === undefined) {
          throw new KafkaAdminError('UNKNOWN_TOPIC', 'listOffsets', `topic ${topic} has no partition ${String(partition)}`, { kafkaError: 'UNKNOWN_TOPIC_OR_PARTITION' });
        }
        if (partitionMetadata.errorCode === leaderNotAvailable || partitionMetadata.leaderId < 0) {
          failWithKafkaError('listOffsets', `${topic}[${String(partition)}]`, leaderNotAvailable, 'the partition has no leader');
        }
        const byTopic = requestsByLeader.get(partitionMetadata.leaderId) ?? new Map<string, listOffsetsV9.ListOffsetsRequestPartition[]>();
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionIndex: partition, currentLeaderEpoch: partitionMetadata.leaderEpoch, timestamp }]);
        requestsByLeader.set(partitionMetadata.leaderId, byTopic);
      }
      const responses = await Promise.all(
        [...requestsByLeader].map(async ([leader, byTopic]) => {
          const broker = brokers.get(leader);
          if (broker === undefined) {
            throw new KafkaAdminError('BROKER_UNREACHABLE', 'listOffsets', `broker ${String(leader)} leads partitions of ${[...byTopic.keys()].join(', ')} but is not in the cluster's broker list`);
          }
          const connection = await this.#connectionTo(broker);
          const requestTopics = [...byTopic].map(([name, requested]) => ({ name, partitions: requested }));
          return listOffsetsV9.api.async(connection, -1, FetchIsolationLevels.READ_UNCOMMITTED, requestTopics);
        }),
      );
      const listed: ListedOffset[] = [];
      for (const response of responses) {
        for (const topic of response.topics) {
          for (const partition of topic.partitions) {
            if (partition.errorCode !== 0) failWithKafkaError('listOffsets', `${topic.name}[${String(partition.partitionIndex)}]`, partition.errorCode, null);
            listed.push({ topic: topic.name, partition: partition.partitionIndex, offset: partition.offset, timestampMs: Number(partition.timestamp) });
          }
        }
      }
      return listed.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    });
  }

  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    return this.#run('listTopics', 'all topics', async () => {
      // Read from the metadata answer itself rather than the client's listTopics, which fails
      // the whole listing when any partition of any topic has no leader (a broker down): the
      // brokers actuator must still see every topic then, to refuse with the real reason.
      const response = await this.#topicMetadata(null);
      const includeInternal = options.includeInternal ?? false;
      return response.topics
        .filter((topic) => topic.errorCode === 0 && topic.name !== null && (includeInternal || !topic.isInternal))
        .map((topic) => topic.name ?? '')
        .sort();
    });
  }

  async describeTopics(topics: string[]): Promise<TopicDescription[]> {
    return this.#run('describeTopics', `topics ${topics.join(', ')}`, async () => {
      if (topics.length === 0) return [];
      return topicDescriptions(topics, await this.#topicMetadata(topics));
    });
  }

  async fetchRecord(topic: string, partition: number, offset: bigint): Promise<FetchedRecord | null> {
    const [record] = await this.fetchRecords([{ topic, partition, offset }]);
    return record ?? null;
  }

  async fetchRecords(positions: RecordPosition[]): Promise<(FetchedRecord | null)[]> {
    const subject = positions.map((p) => `${p.topic}[${String(p.partition)}] at offset ${String(p.offset)}`).join(', ');
    return this.#run('fetchRecord', subject, async () => {
      if (positions.length === 0) return [];
      const topicNames = [...new Set(positions.map((p) => p.topic))];
      const metadata = await this.#metadata(topicNames);
      const positionsByLeader = new Map<number, { broker: Broker; positions: { index: number; position: RecordPosition; topicId: string; leaderEpoch: number }[] }>();
      for (const [index, position] of positions.entries()) {
        const topicMetadata = metadata.topics.get(position.topic);
        const partitionMetadata = topicMetadata?.partitions[position.partition];
        if (topicMetadata === undefined || partitionMetadata === undefined) {
          throw new KafkaAdminError('UNKNOWN_TOPIC', 'fetchRecord', `partition ${position.topic}[${String(position.partition)}] does not exist`);
        }
        const leader = metadata.brokers.get(partitionMetadata.leader);
        if (leader === undefined) {
          throw new KafkaAdminError('BROKER_UNREACHABLE', 'fetchRecord', `partition ${position.topic}[${String(position.partition)}] has no leader`);
        }
        const entry = positionsByLeader.get(partitionMetadata.leader) ?? { broker: leader, positions: [] };
        entry.positions.push({ index, position, topicId: topicMetadata.id, leaderEpoch: partitionMetadata.leaderEpoch });
        positionsByLeader.set(partitionMetadata.leader, entry);
      }
      const records: (FetchedRecord | null)[] = positions.map(() => null);
      for (const { broker, positions: onLeader } of positionsByLeader.values()) {
        // One Fetch may carry a partition only once: a second position on the same partition waits for the next round.
        const rounds: (typeof onLeader)[] = [];
        for (const entry of onLeader) {
          const samePartition = (other: (typeof onLeader)[number]) =>
            other.position.topic === entry.position.topic && other.position.partition === entry.position.partition;
          const round = rounds.find((r) => !r.some(samePartition));
          if (round === undefined) rounds.push([entry]);
          else round.push(entry);
        }
        const connection = await this.#connectionTo(broker);
        for (const round of rounds) {
          const topicIds = [...new Set(round.map((entry) => entry.topicId))];
          // A sessionless fetch (session 0, epoch -1) that waits for nothing: this reads, never tails.
          const response = await fetchV17.api.async(
            connection,
            0,
            0,
            this.#fetchRecordMaxBytes * round.length,
            FetchIsolationLevels.READ_UNCOMMITTED,
            0,
            -1,
            topicIds.map((topicId) => ({
              topicId,
              partitions: round
                .filter((entry) => entry.topicId === topicId)
                .map((entry) => ({
                  partition: entry.position.partition,
                  currentLeaderEpoch: entry.leaderEpoch,
                  fetchOffset: entry.position.offset,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: this.#fetchRecordMaxBytes,
                })),
            })),
            [],
            '',
          );
          for (const entry of round) {
            const { topic, partition, offset } = entry.position;
            const fetched = response.responses.find((t) => t.topicId === entry.topicId)?.partitions.find((p) => p.partitionIndex === partition);
            if (fetched === undefined) continue;
            if (fetched.errorCode !== 0) {
              failWithKafkaError('fetchRecord', `${topic}[${String(partition)}] at offset ${String(offset)}`, fetched.errorCode, null);
            }
            records[entry.index] = firstRecordAtOrAfter(topic, partition, offset, fetched.records ?? []);
          }
        }
      }
      return records;
    });
  }

  async describeCluster(): Promise<ClusterDescription> {
    return this.#run('describeCluster', 'cluster', async () => {
      const connection = await this.#anyBrokerConnection();
      const response = await describeClusterV1.api.async(connection, false, DescribeClusterEndpointTypes.BROKERS);
      if (response.errorCode !== 0) failWithKafkaError('describeCluster', 'cluster', response.errorCode, orNull(response.errorMessage));
      return {
        clusterId: response.clusterId,
        controllerId: response.controllerId,
        brokers: response.brokers
          .map((broker) => ({ nodeId: broker.brokerId, host: broker.host, port: broker.port, rack: orNull(broker.rack) }))
          .sort((a, b) => a.nodeId - b.nodeId),
      };
    });
  }

  async describeConfigs(resources: ConfigResource[]): Promise<ResourceConfig[]> {
    const subject = resources.map((resource) => `${resource.kind} ${resource.name}`).join(', ');
    return this.#run('describeConfigs', subject, async () => {
      if (resources.length === 0) return [];
      const described = await this.#admin.describeConfigs({
        resources: resources.map((resource) => ({
          resourceType: resource.kind === 'topic' ? ConfigResourceTypes.TOPIC : ConfigResourceTypes.BROKER,
          resourceName: resource.name,
        })),
      });
      return resources.map((resource) => {
        const resourceType = resource.kind === 'topic' ? ConfigResourceTypes.TOPIC : ConfigResourceTypes.BROKER;
        const match = described.find((d) => d.resourceType === resourceType && d.resourceName === resource.name);
        if (match === undefined) {
          throw new KafkaAdminError('BROKER_ERROR', 'describeConfigs', `${resource.kind} ${resource.name}: missing from the answer`);
        }
        const entries = new Map(
          match.configs.map((config) => [
            config.name,
            {
              name: config.name,
              value: orNull(config.value),
              readOnly: config.readOnly,
              isDefault: config.configSource === ConfigSources.DEFAULT_CONFIG,
              isSensitive: config.isSensitive,
            },
          ]),
        );
        return { ...resource, entries };
      });
    });
  }

  async describeLogDirs(): Promise<LogDirDescription[]> {
    return this.#run('describeLogDirs', 'all brokers', async () => {
      const metadata = await this.#metadata([]);
      const descriptions: LogDirDescription[] = [];
      for (const [brokerId, broker] of metadata.brokers) {
        const connection = await this.#connectionTo(broker);
        // null asks for every partition the broker hosts, without listing the topics first.
        const response = await describeLogDirsV4.api.async(connection, null);
        if (response.errorCode !== 0) failWithKafkaError('describeLogDirs', `broker ${String(brokerId)}`, response.errorCode, null);
        for (const result of response.results) {
          if (result.errorCode !== 0) failWithKafkaError('describeLogDirs', `broker ${String(brokerId)} dir ${result.logDir}`, result.errorCode, null);
          descriptions.push({
            brokerId,
            path: result.logDir,
            totalBytes: result.totalBytes,
            usableBytes: result.usableBytes,
            partitions: result.topics.flatMap((topic) =>
              topic.partitions.map((p) => ({ topic: topic.name, partition: p.partitionIndex, sizeBytes: p.partitionSize })),
            ),
          });
        }
      }
      return descriptions.sort((a, b) => a.brokerId - b.brokerId || a.path.localeCompare(b.path));
    });
  }

  async deleteRecords(deletions: RecordDeletion[]): Promise<DeletedRecords[]> {
    const topicNames = [...new Set(deletions.map((d) => d.topic))];
    return this.#run('deleteRecords', `topics ${topicNames.join(', ')}`, async () => {
      if (deletions.length === 0) return [];
      const deleted = await this.#admin.deleteRecords({
        topics: topicNames.map((name) => ({
          name,
          partitions: deletions.filter((d) => d.topic === name).map((d) => ({ partition: d.partition, offset: d.beforeOffset })),
        })),
      });
      return deleted.flatMap((topic) =>
        topic.partitions.map((p) => ({ topic: topic.name, partition: p.partition, lowWatermark: p.lowWatermark })),
      );
    });
  }

  async createTopics(topics: NewTopic[]): Promise<void> {
    await this.#run('createTopics', `topics ${topics.map((t) => t.name).join(', ')}`, async () => {
      // The package applies one config list to every topic of a call: one call per topic with configs.
      const plain = topics.filter((t) => t.configs === undefined);
      if (plain.length > 0) {
        await this.#admin.createTopics({
          topics: plain.map((t) => ({ topic: t.name, partitions: t.partitions, replicas: t.replicationFactor })),
        });
      }
      for (const topic of topics.filter((t) => t.configs !== undefined)) {
        await this.#admin.createTopics({
          topics: [{ topic: topic.name, partitions: topic.partitions, replicas: topic.replicationFactor }],
          configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
      }
    });
  }

  async deleteTopics(topics: string[]): Promise<void> {
    await this.#run('deleteTopics', `topics ${topics.join(', ')}`, async () => {
      if (topics.length > 0) await this.#admin.deleteTopics({ topics });
    });
  }

  async alterPartitionReassignments(reassignments: ReassignmentRequest[]): Promise<void> {
    const topicNames = [...new Set(reassignments.map((r) => r.topic))];
    await this.#run('alterPartitionReassignments', `topics ${topicNames.join(', ')}`, async () => {
      if (reassignments.length === 0) return;
      const connection = await this.#anyBrokerConnection();
      const response = await alterPartitionReassignmentsV0.api.async(
        connection,
        this.#requestTimeoutMs,
        false,
        topicNames.map((name) => ({
          name,
          partitions: reassignments.filter((r) => r.topic === name).map((r) => ({ partitionIndex: r.partition, replicas: r.replicas })),
        })),
      );
      if (response.errorCode !== 0) failWithKafkaError('alterPartitionReassignments', `topics ${topicNames.join(', ')}`, response.errorCode, orNull(response.errorMessage));
      for (const topic of response.responses) {
        for (const p of topic.partitions) {
          if (p.errorCode !== 0) failWithKafkaError('alterPartitionReassignments', `partition ${topic.name}[${String(p.partitionIndex)}]`, p.errorCode, orNull(p.errorMessage));
        }
      }
    });
  }

  async listPartitionReassignments(topics?: string[]): Promise<OngoingReassignment[]> {
    return this.#run('listPartitionReassignments', topics === undefined ? 'all topics' : `topics ${topics.join(', ')}`, async () => {
      let requested: { name: string; partitionIndexes: number[] }[] | null = null;
      let connection: Connection;
      if (topics !== undefined && topics.length > 0) {
        // Polled while a reassignment batch moves: the one Metadata answer gives both the
        // partitions to ask about and a broker to ask.
        const metadata = await this.#run('describeTopics', `topics ${topics.join(', ')}`, () => this.#topicMetadata(topics));
        requested = topicDescriptions(topics, metadata).map((topic) => ({ name: topic.name, partitionIndexes: topic.partitions.map((p) => p.partition) }));
        connection = await this.#anyBrokerConnection(metadata.brokers);
      } else {
        if (topics !== undefined) requested = [];
        connection = await this.#anyBrokerConnection();
      }
      const response = await listPartitionReassignmentsV0.api.async(connection, this.#requestTimeoutMs, requested);
      if (response.errorCode !== 0) failWithKafkaError('listPartitionReassignments', 'reassignments', response.errorCode, orNull(response.errorMessage));
      return response.topics.flatMap((topic) =>
        topic.partitions.map((p) => ({
          topic: topic.name,
          partition: p.partitionIndex,
          replicas: p.replicas,
          addingReplicas: p.addingReplicas,
          removingReplicas: p.removingReplicas,
        })),
      );
    });
  }

  async incrementalAlterConfigs(changes: ConfigChange[]): Promise<void> {
    const subject = changes.map((change) => `${change.kind} ${change.name}`).join(', ');
    await this.#run('incrementalAlterConfigs', subject, async () => {
      if (changes.length === 0) return;
      const resourceOf = (change: ConfigChange): incrementalAlterConfigsV1.IncrementalAlterConfigsRequestResource => ({
        resourceType: change.kind === 'topic' ? ConfigResourceTypes.TOPIC : ConfigResourceTypes.BROKER,
        resourceName: change.name,
        configs: [
          ...Object.entries(change.set ?? {}).map(([name, value]) => ({ name, configOperation: IncrementalAlterConfigOperationTypes.SET, value })),
          ...(change.delete ?? []).map((name) => ({ name, configOperation: IncrementalAlterConfigOperationTypes.DELETE })),
        ],
      });
      const send = async (connection: Connection, resources: incrementalAlterConfigsV1.IncrementalAlterConfigsRequestResource[]) => {
        const response = await incrementalAlterConfigsV1.api.async(connection, resources, false).catch((error: unknown) => {
          const partial = (error as { response?: unknown }).response;
          if (partial !== undefined) return partial as incrementalAlterConfigsV1.IncrementalAlterConfigsResponse;
          throw error;
        });
        for (const result of response.responses) {
          if (result.errorCode !== 0) {
            const kind = result.resourceType === ConfigResourceTypes.TOPIC ? 'topic' : 'broker';
            failWithKafkaError('incrementalAlterConfigs', `${kind} ${result.resourceName}`, result.errorCode, orNull(result.errorMessage));
          }
        }
      };
      // A broker's own dynamic configs are changed by sending the request to that broker.
      const metadata = await this.#metadata([]);
      for (const change of changes.filter((c) => c.kind === 'broker')) {
        const broker = metadata.brokers.get(Number(change.name));
        if (broker === undefined) throw new KafkaAdminError('BROKER_UNREACHABLE', 'incrementalAlterConfigs', `broker ${change.name} is not in the cluster's broker list`);
        await send(await this.#connectionTo(broker), [resourceOf(change)]);
      }
      const topicChanges = changes.filter((c) => c.kind === 'topic');
      if (topicChanges.length > 0) await send(await this.#anyBrokerConnection(metadata.brokers.values()), topicChanges.map(resourceOf));
    });
  }

  async electPreferredLeaders(partitions: TopicPartition[]): Promise<LeaderElectionResult[]> {
    const topicNames = [...new Set(partitions.map((p) => p.topic))];
    return this.#run('electPreferredLeaders', `topics ${topicNames.join(', ')}`, async () => {
      if (partitions.length === 0) return [];
      const connection = await this.#anyBrokerConnection();
      const response = await electLeadersV2.async(
        connection,
        preferredElection,
        topicNames.map((topic) => ({ topic, partitions: partitions.filter((p) => p.topic === topic).map((p) => p.partition) })),
        this.#requestTimeoutMs,
      );
      if (response.errorCode !== 0) failWithKafkaError('electPreferredLeaders', `topics ${topicNames.join(', ')}`, response.errorCode, null);
      return response.results.flatMap((topic) =>
        topic.partitions.map((p) => {
          const failed = p.errorCode !== 0 && p.errorCode !== electionNotNeeded;
          const kafkaError = protocolErrorsCodesById[p.errorCode] ?? `error code ${String(p.errorCode)}`;
          const message = p.errorMessage === null || p.errorMessage === '' ? '' : ` (${p.errorMessage})`;
          return { topic: topic.topic, partition: p.partitionId, error: failed ? `${kafkaError}${message}` : null };
        }),
      );
    });
  }

  async unregisterBroker(nodeId: number): Promise<void> {
    await this.#run('unregisterBroker', `broker ${String(nodeId)}`, async () => {
      const connection = await this.#anyBrokerConnection();
      await unregisterBrokerV0.api.async(connection, nodeId);
    });
  }
}
