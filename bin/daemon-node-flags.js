// The Node.js flags `lagpilot run` starts with (bin/lagpilot.js, the image's CMD and
// bench/daemon-rss.ts use this one list). Without them V8 lets the heap grow far past what the
// daemon keeps alive: each lag sweep decodes megabytes of Kafka answers that are garbage a
// moment later, and V8 keeps the pages it grew into. docs/decisions/0021 has the measurements.
export const daemonNodeFlags = ['--max-old-space-size=64', '--max-semi-space-size=1'];
