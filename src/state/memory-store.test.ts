import { MemoryBackend, MemoryStateStore } from './memory-store.ts';
import { stateStoreConformance } from './store-conformance.ts';

const journalLength = 5;
const backend = new MemoryBackend();

stateStoreConformance('memory', () => ({
  openStore: () => Promise.resolve(new MemoryStateStore({ backend, journalLength })),
  sleep: (millis) => new Promise((resolve) => setTimeout(resolve, millis)),
}), journalLength);
