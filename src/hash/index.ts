export { canonicalJson } from './canonical-json.js';
export { payloadDigest, payloadHashBase64, payloadHashText, verifyPayloadHash } from './payload-hash.js';
export { bytesToBase64, base64ToBytes, utf8Decode, utf8Encode } from './encoding.js';
