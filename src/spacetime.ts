/**
 * `khala-sync/spacetime`: the Spacetime lane (`spacetime.sync.v1` over SpacetimeDB's
 * `v1.json.spacetimedb`). A separate entry so that Khala-only apps do not bundle it. Use it with
 * `new SyncClient({ lane: createSpacetimeLane({ database }), ... })`. See docs/spacetime-lane.md.
 *
 * @packageDocumentation
 */
export * from './adapters/spacetime/index.js';
