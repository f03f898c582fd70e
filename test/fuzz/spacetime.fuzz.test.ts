import { describe } from 'vitest';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { fuzzSuite } from './fuzz-suite.js';
import { SPACETIME_SEEDS, SPACETIME_STREAM, serveSpacetime } from './seeds.js';

describe('fuzz: Spacetime lane', () => {
  fuzzSuite('spacetime', { topic: SPACETIME_STREAM, lane: createSpacetimeLane({ database: 'fuzz' }), seeds: SPACETIME_SEEDS, serve: serveSpacetime });
});
