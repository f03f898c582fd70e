// The payload-hash helpers (canonical JSON and SHA-256 in base64), for apps and servers that compute
// or check a `payload_hash` themselves; the client's own checks do not need this entry.
export { canonicalJson } from './hash/canonical-json.js';
export { payloadHashBase64, payloadHashText, verifyPayloadHash } from './hash/payload-hash.js';
