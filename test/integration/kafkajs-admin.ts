// Setting up and clearing away the topics, messages and consumer groups of a test through kafkajs,
// whose clients must be disconnected whatever the outcome or mocha waits for their sockets.
import type { Admin, Kafka } from 'kafkajs';

/** Runs `action` with a connected admin client and disconnects it afterwards, also on failure. */
export async function withKafkaAdmin<T>(client: Kafka, action: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = client.admin();
  await admin.connect();
  try {
    return await action(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes a test's consumer group (gone already is fine) and its topic. */
export async function deleteGroupAndTopic(client: Kafka, group: string, topic: string): Promise<void> {
  await withKafkaAdmin(client, async (admin) => {
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] });
  });
}

/** Writes `count` messages m0, m1, … to `topic`, acknowledged by all replicas, spread in turn over partitions 0 to `partitionCount` − 1. */
export async function produceRoundRobin(client: Kafka, topic: string, count: number, partitionCount: number): Promise<void> {
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, n) => ({ partition: n % partitionCount, value: `m${n}` })) });
  } finally {
    await producer.disconnect();
  }
}
