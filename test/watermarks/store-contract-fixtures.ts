import type { SyncDocument } from '../../src/model/types.js';
import type { JsonValue } from '../../src/util/json.js';
import type { SyncStore } from '../../src/watermarks/store.js';

/** What a backend's test file hands the contract for each test. */
export interface StoreHarness {
  store: SyncStore;
  /** Open the same backing data again; the caller closes `store` first and the result afterwards. */
  reopen?: () => Promise<SyncStore>;
  /** Release everything (stores may already be closed). */
  cleanup: () => Promise<void>;
}

/** A document with sensible defaults, overridable field by field. */
export function doc(topic: string, docKey: string, docVersion: number, payload: JsonValue | null, extra: Partial<SyncDocument> = {}): SyncDocument {
  return { topic, docKey, docVersion, payload, payloadHash: null, watermark: docVersion, hydrationPending: false, ...extra };
}

/** Documents in a stable order: stores do not promise one. */
export function sorted(docs: SyncDocument[]): SyncDocument[] {
  const key = (d: SyncDocument) => `${d.topic}\u0000${d.docKey}`;
  return [...docs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Payload whose serialization throws in every backend (JSON.stringify and structuredClone both read the getter). */
export function poisoned(): JsonValue {
  return Object.defineProperty({}, 'boom', {
    enumerable: true,
    get() {
      throw new Error('unserializable payload');
    },
  }) as JsonValue;
}

/** A payload with every kind of text and nesting a backend must round-trip exactly. */
export const RICH: JsonValue = {
  ascii: 'plain',
  latin: 'héllo wörld ñ',
  cjk: '日本語のテキスト',
  astral: '😀 𝄞 👩‍👩‍👧 \u{10FFFF}',
  loneSurrogate: '\ud800x',
  control: 'tab\tnul\u0000line\nquote"back\\',
  nested: { a: [1, -2.5, 1e-7, 9007199254740991, { deep: [[], {}, null, true, false] }], empty: '' },
  list: ['x', 0, null, { k: 'v' }],
};
