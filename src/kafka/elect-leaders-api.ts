// ElectLeaders (API key 43), version 2, which @platformatic/kafka 2.12 does not ship. Written on
// the package's own request/response building blocks (createAPI, Writer, Reader), so it goes
// over the Admin's connection pool and is counted like every other request.
//
// Request v2:  election_type INT8, topic_partitions COMPACT_NULLABLE_ARRAY[topic COMPACT_STRING,
//              partitions COMPACT_ARRAY[INT32], TAG_BUFFER], timeout_ms INT32, TAG_BUFFER
// Response v2: throttle_time_ms INT32, error_code INT16, replica_election_results COMPACT_ARRAY[topic COMPACT_STRING,
//              partition_result COMPACT_ARRAY[partition_id INT32, error_code INT16,
//              error_message COMPACT_NULLABLE_STRING, TAG_BUFFER], TAG_BUFFER], TAG_BUFFER
import { Writer, createAPI, type Reader } from '@platformatic/kafka';

export const preferredElection = 0;

export interface ElectLeadersRequestTopic {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersPartitionResult {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ElectLeadersResponse {
  throttleTimeMs: number;
  errorCode: number;
  results: { topic: string; partitions: ElectLeadersPartitionResult[] }[];
}

export function createElectLeadersRequest(electionType: number, topics: ElectLeadersRequestTopic[] | null, timeoutMs: number): Writer {
  return Writer.create()
    .appendInt8(electionType)
    .appendArray(topics, (writer, entry) => {
      writer.appendString(entry.topic).appendArray(entry.partitions, (inner, partition) => inner.appendInt32(partition), true, false);
    })
    .appendInt32(timeoutMs)
    .appendTaggedFields();
}

export function parseElectLeadersResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): ElectLeadersResponse {
  const throttleTimeMs = reader.readInt32();
  const errorCode = reader.readInt16();
  const results = reader.readArray((topicReader) => ({
    topic: topicReader.readString(),
    partitions: topicReader.readArray((partitionReader) => ({
      partitionId: partitionReader.readInt32(),
      errorCode: partitionReader.readInt16(),
      errorMessage: partitionReader.readNullableString() ?? null,
    })),
  }));
  reader.readTaggedFields();
  // Per-partition errors (e.g. ELECTION_NOT_NEEDED) are results, not failures: the caller reads them.
  return { throttleTimeMs, errorCode, results };
}

export const electLeadersV2 = createAPI<[electionType: number, topics: ElectLeadersRequestTopic[] | null, timeoutMs: number], ElectLeadersResponse>(
  43,
  2,
  createElectLeadersRequest,
  parseElectLeadersResponse,
);
