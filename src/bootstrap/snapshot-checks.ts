// Shapes of the HTTP bodies of SDK_CONTRACTS §2 (`openagents.sync.snapshot.v1` pages and hydration
// documents), as plain checks: the browser entry carries no schema library (src/util/shape.ts).
import type { JsonValue } from '../util/json.js';
import { arrayOf, custom, maybe, objectOf, oneOf, str, text, uint } from '../util/shape.js';

const present = custom((v): v is JsonValue => v !== undefined, 'is required');

/** One document of a snapshot page or a hydration response. */
export const snapshotDoc = objectOf({ doc_key: text, doc_version: uint(), payload: present, payload_hash: maybe(str()) });

/**
 * One snapshot page. `format` and `schema_version` may be left out (a minimal producer); when
 * present they must be this version's, as a page of another version may mean something else.
 */
export const snapshotPage = objectOf({
  format: maybe(oneOf(['openagents.sync.snapshot.v1'] as const, 'expected "openagents.sync.snapshot.v1"')),
  schema_version: maybe(oneOf([1] as const, 'expected 1')),
  topic: str(),
  head_watermark: uint(),
  docs: arrayOf(snapshotDoc),
  next_page_token: maybe(str()),
});
