// khala-sync/browser: page lifecycle, one socket for all tabs, build-skew detection and service-
// worker promotion. A separate entry, so apps that do not import it do not carry it.
export { BrowserSync, type BrowserSyncEvents, type BrowserSyncOptions, type BrowserSyncRole } from './browser/browser-sync.js';
export { windowLifecycle, hostLifecycle, type HostLifecycle, type LifecycleSignal, type LifecycleSource, type WindowLifecycleTargets } from './browser/page-lifecycle.js';
export { attachWakeController, type WakeController, type WakeControllerOptions, type WakeEvent, type WakeTarget } from './browser/wake-controller.js';
export { createLeaderElection, type LeaderElection, type LeaderElectionOptions, type TabRole } from './browser/leader-election.js';
export { leaseElection, LEASE_ELECTION_DEFAULTS, type LeaseElectionOptions } from './browser/lease-election.js';
export { webLocksElection } from './browser/web-locks-election.js';
export { compareBuildIds, evaluateSkew, fetchBuildManifest, type BuildManifest, type RunningBuild, type SkewReason, type SkewVerdict } from './browser/build-skew.js';
export { promoteServiceWorker, type PromotionOptions, type PromotionResult } from './browser/sw-promotion.js';
export { checkBuild, onUpgradeRequired, type BuildGateOptions, type BuildGateResult, type BuildGateState } from './browser/build-gate.js';
export type { TabMessage, RelayedTopic } from './browser/tab-messages.js';
