// The HTTP opt-ins, apart from the main entry so that an app without them does not carry their
// fetch, redirect, Retry-After and body-limit code: the token mint endpoint (the client's `token`),
// the HTTP snapshot source (`snapshot`) and the HTTP hydrator (`hydrator`). Browser-safe.
export { tokenEndpoint, SignInRequiredError, type TokenEndpoint, type TokenEndpointOptions } from './http/token-endpoint.js';
export { httpSnapshotSource, httpHydrator, type HttpSnapshotOptions, type HttpHydratorOptions } from './bootstrap/http-snapshot-source.js';
export type { HttpRetryOptions } from './bootstrap/http-fetch.js';
export { HTTP_DEFAULTS, type HttpOptions } from './http/http-options.js';
