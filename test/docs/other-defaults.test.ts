import { describe, expect, it } from 'vitest';
import { CHECKPOINT_ACK_DEFAULTS } from '../../src/adapters/spacetime/checkpoint-acks.js';
import { SPACETIME_LANE_DEFAULTS } from '../../src/adapters/spacetime/spacetime-lane.js';
import { LEASE_ELECTION_DEFAULTS } from '../../src/browser/lease-election.js';
import { TELEMETRY_GATE_DEFAULTS } from '../../src/observability/telemetry-gate.js';
import { HTTP_DEFAULTS } from '../../src/http/http-options.js';
import { SERVER_DEFAULTS } from '../../src/server/options.js';
import { SPACETIME_SERVER_DEFAULTS } from '../../src/server/spacetime/spacetime-server.js';
import { interfaceOptions, tableDisagreements, tsdocDefault, tsdocDisagreements } from './option-docs.js';

// The defaults objects besides CLIENT_DEFAULTS: each option's TSDoc states the default its object
// holds, and where a doc has a table of the options, the table lists every one with that default.

describe('the other defaults objects, their TSDoc and their docs tables', () => {
  it('reference server: ReferenceServerOptions, SERVER_DEFAULTS, docs/reference-server.md', () => {
    const options = interfaceOptions('src/server/options.ts', 'ReferenceServerOptions');
    expect([...tsdocDisagreements(options, SERVER_DEFAULTS, 'src/server/options.ts'), ...tableDisagreements(options, SERVER_DEFAULTS, 'docs/reference-server.md')]).toEqual([]);
  });

  it('Spacetime lane: SpacetimeLaneOptions, SPACETIME_LANE_DEFAULTS, docs/spacetime-lane.md', () => {
    const options = interfaceOptions('src/adapters/spacetime/spacetime-lane.ts', 'SpacetimeLaneOptions');
    expect([...tsdocDisagreements(options, SPACETIME_LANE_DEFAULTS, 'src/adapters/spacetime/spacetime-lane.ts'), ...tableDisagreements(options, SPACETIME_LANE_DEFAULTS, 'docs/spacetime-lane.md')]).toEqual([]);
  });

  // Defaults objects without a docs table: only their TSDoc is checked.
  const tsdocOnly: Array<[label: string, file: string, iface: string, defaults: Record<string, unknown>]> = [
    ['checkpoint acks', 'src/adapters/spacetime/checkpoint-acks.ts', 'CheckpointAckOptions', CHECKPOINT_ACK_DEFAULTS],
    ['Spacetime reference server', 'src/server/spacetime/types.ts', 'SpacetimeServerOptions', SPACETIME_SERVER_DEFAULTS],
    ['lease election', 'src/browser/lease-election.ts', 'LeaseElectionOptions', LEASE_ELECTION_DEFAULTS],
    ['telemetry gate', 'src/observability/telemetry-gate.ts', 'TelemetryGateOptions', TELEMETRY_GATE_DEFAULTS],
    ['khala-sync/http shared options', 'src/http/http-options.ts', 'HttpOptions', HTTP_DEFAULTS],
    ['khala-sync/http retries', 'src/bootstrap/http-fetch.ts', 'HttpRetryOptions', HTTP_DEFAULTS],
    ['khala-sync/http snapshot source', 'src/bootstrap/http-snapshot-source.ts', 'HttpSnapshotOptions', HTTP_DEFAULTS],
  ];
  for (const [label, file, iface, defaults] of tsdocOnly) {
    it(`${label}: ${iface} and its defaults object`, () => {
      expect(tsdocDisagreements(interfaceOptions(file, iface), defaults, file)).toEqual([]);
    });
  }

  it('BrowserSync: BrowserSyncOptions and the options table of docs/browser.md (no defaults object: the two must agree)', () => {
    const options = interfaceOptions('src/browser/browser-sync.ts', 'BrowserSyncOptions');
    const stated = Object.fromEntries(options.flatMap((o) => {
      const d = tsdocDefault(o.tsdoc);
      return d === undefined ? [] : [[o.name, d]];
    }));
    expect([...tsdocDisagreements(options, {}, 'src/browser/browser-sync.ts'), ...tableDisagreements(options, stated, 'docs/browser.md')]).toEqual([]);
  });
});
