// Setting up and clearing away the topics and consumer groups of a test through kafkajs' admin
// client, which must be disconnected whatever the outcome or mocha waits for its sockets.
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
