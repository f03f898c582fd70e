// Shapes of the HTTP bodies of SDK_CONTRACTS §2 (`openagents.sync.snapshot.v1` pages and hydration
// documents), as plain checks: the browser entry carries no schema library (src/util/shape.ts).
import type { JsonValue } from '../util/json.js';
import { arrayOf, custom, maybe, objectOf, str, uint } from '../util/shape.js';

const present = custom((v): v is JsonValue => v !== undefined, 'is required');

/** One document of a snapshot page or a hydration response. */
export const snapshotDoc = objectOf({ doc_key: str(), doc_version: uint(), payload: present, payload_hash: maybe(str()) });

/** One snapshot page. */
export const snapshotPage = objectOf({
  format: maybe(str()),
  topic: str(),
  head_watermark: uint(),
  docs: arrayOf(snapshotDoc),
  next_page_token: maybe(str()),
});
