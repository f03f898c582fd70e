/**
 * Largest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); above it the timer fires at
 * once. Options are validated against it and server-given delays are capped to it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
