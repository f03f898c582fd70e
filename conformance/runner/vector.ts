// TypeScript view of one conformance vector (format `khala-sync.conformance.v1`). The normative
// definition is `conformance/schema/vector.v1.schema.json` and `conformance/README.md`; these
// types only mirror them for the runner.

/** The `format` value every v1 vector carries. */
export const VECTOR_FORMAT = 'khala-sync.conformance.v1';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A document as a vector writes it (store seed and snapshot/hydration bodies use the wire names). */
export interface VectorDocument {
  topic: string;
  doc_key: string;
  doc_version: number;
  payload: Json;
  payload_hash?: string | null;
  watermark: number;
  hydration_pending?: boolean;
}

/** One scripted HTTP answer (snapshot page or hydration), or a deferred one. */
export type HttpResponse = { status: number; body?: Json; headers?: Record<string, string> } | { deferred: true };

export interface VectorSetup {
  topics: string[];
  stored?: { watermarks?: Record<string, number>; documents?: VectorDocument[] };
  /** Present (even `{}`) = the client has a snapshot source; per topic, the answers to its GETs in order. */
  snapshot?: Record<string, HttpResponse[]>;
  /** Present = the client has a hydrator; per topic and doc_key, the answers to its GETs in order. */
  hydrate?: Record<string, Record<string, HttpResponse[]>>;
  /** Present = the token comes from a mint endpoint (POST); its answers, one per connection attempt, then 200. */
  token?: HttpResponse[];
  options?: VectorOptions;
}

export interface VectorOptions {
  reconnect_delay_ms?: number;
  verify_hashes?: boolean;
  max_frame_bytes?: number;
  heartbeat_interval_ms?: number;
  dead_after_ms?: number;
  join_timeout_ms?: number;
  subscribe_timeout_ms?: number;
  /** Spacetime lane only: the lane's `replayBudget`. Default the lane's own (20 000). */
  replay_budget?: number;
}

/** The defaults a runner uses when `setup.options` leaves a field out. */
export const OPTION_DEFAULTS: Required<Omit<VectorOptions, 'replay_budget'>> = {
  reconnect_delay_ms: 1000,
  verify_hashes: true,
  max_frame_bytes: 16 * 1024 * 1024,
  heartbeat_interval_ms: 20_000,
  dead_after_ms: 45_000,
  join_timeout_ms: 10_000,
  subscribe_timeout_ms: 30_000,
};

/** Expected shape of one outbound client frame. */
export interface OutboundMatch {
  event: string;
  /** The dial (from 0) the frame must have gone out on; any when absent. */
  connection?: number;
  topic?: string;
  join_ref?: Json;
  ref?: Json;
  payload?: { [key: string]: Json };
}

/** Assertions that `check` steps and `expect` share. Lists are cumulative from the start of the run. */
export interface Assertions {
  applied?: Array<{ topic: string; seq: number }>;
  watermarks?: Record<string, number | null>;
  stored_watermarks?: Record<string, number | null>;
  documents?: Record<string, Record<string, { doc_version: number; payload: Json; hydration_pending?: boolean }>>;
  errors?: Array<string | { code: string; topic?: string }>;
  events?: Array<{ type: string; [key: string]: Json }>;
  status?: string;
  dials?: number;
  phases?: Record<string, string>;
  snapshot_requests?: Record<string, number>;
  hydrate_requests?: Record<string, number>;
}

export interface Expectations extends Assertions {
  /** Client frames sent after the last `expect_outbound` step (heartbeats excluded), exactly. */
  outbound?: OutboundMatch[];
}

export type Step =
  | { type: 'connect'; protocol?: string; note?: string }
  | { type: 'server'; frame: Json; connection?: number; note?: string }
  | { type: 'expect_outbound'; frames: OutboundMatch[]; note?: string }
  | { type: 'disconnect'; code?: number; reason?: string; connection?: number; note?: string }
  | { type: 'snapshot_response'; topic: string; response: Exclude<HttpResponse, { deferred: true }>; note?: string }
  | { type: 'hydrate_response'; topic: string; doc_key: string; response: Exclude<HttpResponse, { deferred: true }>; note?: string }
  | { type: 'advance_time'; ms: number; note?: string }
  | { type: 'store_failure'; operation?: 'commit' | 'replace_topic'; reason?: 'closed' | 'quota'; note?: string }
  | { type: 'app'; call: 'connect' | 'subscribe' | 'unsubscribe' | 'resync' | 'close' | 'restart'; topics?: string[]; note?: string }
  | ({ type: 'check'; note?: string } & Assertions);

export interface Vector {
  $schema?: string;
  format: typeof VECTOR_FORMAT;
  id: string;
  title: string;
  description?: string;
  rules: string[];
  lane: 'khala' | 'spacetime';
  setup: VectorSetup;
  steps: Step[];
  expect: Expectations & Required<Pick<Assertions, 'applied' | 'errors' | 'events' | 'watermarks'>>;
}
