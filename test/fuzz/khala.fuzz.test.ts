import { describe } from 'vitest';
import { fuzzSuite } from './fuzz-suite.js';
import { KHALA_SEEDS, KHALA_TOPIC, serveKhala } from './seeds.js';

describe('fuzz: Khala lane', () => {
  fuzzSuite('khala', { topic: KHALA_TOPIC, lane: undefined, seeds: KHALA_SEEDS, serve: serveKhala });
});
