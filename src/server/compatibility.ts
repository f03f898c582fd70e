import type { JsonObject } from '../util/json.js';
import type { CompatibilityWindow } from './options.js';

/** What the client declared about itself (§1.1). */
export interface ClientCompatibility {
  client: string;
  clientBuildId: string;
  protocolVersion: string;
  schemaVersion: number;
}

function parseSchemaVersion(raw: unknown): number {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : 0;
  if (typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw)) return Number.parseInt(raw, 10);
  return 0;
}

/**
 * Read compatibility metadata from the socket query, falling back per field to the `oa_*` JWT claim
 * when the query param is absent (§1.1). Join params are deliberately not consulted (§14 item 5).
 */
export function readClientCompatibility(query: URLSearchParams, claims: JsonObject): ClientCompatibility {
  const pick = (param: string, claim: string): unknown => (query.has(param) ? query.get(param) : claims[claim]);
  const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
  return {
    client: str(pick('client', 'oa_client')),
    clientBuildId: str(pick('client_build_id', 'oa_client_build_id')),
    protocolVersion: str(pick('protocol_version', 'oa_protocol_version')),
    schemaVersion: parseSchemaVersion(pick('schema_version', 'oa_schema_version')),
  };
}

/**
 * Check `client` against `window` in the §3.4 order (first failure wins). Returns the join error
 * payload, or `undefined` when accepted or when enforcement is off.
 */
export function evaluateCompatibility(window: CompatibilityWindow, client: ClientCompatibility): JsonObject | undefined {
  if (!window.enforce) return undefined;
  const build = client.clientBuildId.trim();
  const protocol = client.protocolVersion.trim();
  const expectedProtocol = window.protocolVersion.trim();
  const max = window.maxClientBuildId === null ? null : window.maxClientBuildId.trim();
  const min = window.minClientBuildId.trim();
  let failure: [string, string] | undefined;
  // Build ids are compared ordinally; they are UTC timestamps, so string order is time order.
  if (build === '') failure = ['invalid_client_build', 'client build id is required'];
  else if (protocol !== expectedProtocol) {
    failure = ['unsupported_protocol_version', `protocol version '${protocol}' is not supported; expected '${expectedProtocol}'`];
  } else if (client.schemaVersion < window.minSchemaVersion || client.schemaVersion > window.maxSchemaVersion) {
    failure = [
      'unsupported_schema_version',
      `schema version ${client.schemaVersion} is outside supported range ${window.minSchemaVersion}..${window.maxSchemaVersion}`,
    ];
  } else if (build < min) failure = ['upgrade_required', `client build '${build}' is older than minimum supported '${min}'`];
  else if (max !== null && max !== '' && build > max) {
    failure = ['unsupported_client_build', `client build '${build}' is newer than maximum supported '${max}'`];
  }
  if (!failure) return undefined;
  return {
    code: failure[0],
    message: failure[1],
    retryable: false,
    upgrade_required: true,
    surface: 'khala_websocket',
    min_client_build_id: window.minClientBuildId,
    max_client_build_id: window.maxClientBuildId,
    min_schema_version: window.minSchemaVersion,
    max_schema_version: window.maxSchemaVersion,
    protocol_version: window.protocolVersion,
  };
}
