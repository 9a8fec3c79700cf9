// The Node.js flags `lagpilot run` starts with (bin/lagpilot.js, the image's ENTRYPOINT and
// bench/daemon-rss.ts use this one list). Each lag sweep decodes megabytes of Kafka answers that
// are garbage a moment later; with V8's default young generation (up to 16 MiB per semi-space
// here) much of it survives into the old generation, which grows and keeps the pages. A 1 MiB
// semi-space collects it young: at 2,000 targets the median RSS fell from 658 to 392 MiB.
// No --max-old-space-size: a cap below the daemon's live data aborts it (64, 96 and 128 MiB did
// at 2,000 targets), and Node already sizes the heap to a container's memory limit.
// docs/decisions/0021-production-bundle-and-memory.md has the measurements.
// --expose-gc lets the daemon run one memory-reducing collection once its sweeps go quiet
// (src/engine/heap-release.ts): V8 otherwise keeps the emptied pages of each sweep's garbage
// resident, 80-93 MiB of pages for 30-35 MiB of live heap at 2,000 watched groups (decision 0024).
export const daemonNodeFlags = ['--max-semi-space-size=1', '--expose-gc'];
