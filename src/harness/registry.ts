import type { Scenario } from './scenario.js';
import { chaosScenarios } from './scenarios-chaos.js';
import { crashScenarios } from './scenarios-crash.js';
import { deliveryScenarios } from './scenarios-delivery.js';
import { migrationScenarios } from './scenarios-migration.js';
import { multiScenarios } from './scenarios-multi.js';
import { replayScenarios } from './scenarios-replay.js';
import { spacetimeBoundaryScenarios } from './scenarios-spacetime-boundary.js';
import { spacetimeCrashScenarios } from './scenarios-spacetime-crash.js';
import { spacetimeDeliveryScenarios } from './scenarios-spacetime-delivery.js';
import { spacetimeMultiScenarios } from './scenarios-spacetime-multi.js';
import { spacetimeRefreshScenarios } from './scenarios-spacetime-refresh.js';
import { spacetimeReplayScenarios } from './scenarios-spacetime-replay.js';
import { spacetimeStaleScenarios } from './scenarios-spacetime-stale.js';
import { staleScenarios } from './scenarios-stale.js';
import { stormScenarios } from './scenarios-storm.js';

/** The scenario matrix, in run order. Names are stable: reports and `--scenario` use them. */
export const SCENARIOS: readonly Scenario[] = [
  ...replayScenarios,
  ...staleScenarios,
  ...deliveryScenarios,
  ...multiScenarios,
  ...chaosScenarios,
  ...stormScenarios,
  ...crashScenarios,
  // The Spacetime lane against the reference Spacetime server (docs/spacetime-lane.md).
  ...spacetimeReplayScenarios,
  ...spacetimeBoundaryScenarios,
  ...spacetimeStaleScenarios,
  ...spacetimeDeliveryScenarios,
  ...spacetimeMultiScenarios,
  ...spacetimeCrashScenarios,
  ...spacetimeRefreshScenarios,
];

/** Scenario suites besides the default matrix (`khala-sync harness --suite <name>`). */
export const SUITES: Readonly<Record<string, readonly Scenario[]>> = {
  // The mixed-version store migration drill (docs/migrations.md).
  migration: migrationScenarios,
};
