import { ErrorCodes } from './codes.js';
import { KhalaSyncError } from './khala-sync-error.js';

/**
 * The `invalid_options` error for one option, as the client's constructor and every plug-in factory
 * throw it: the message and `details.option` name the option, never its value (URLs and tokens can
 * carry credentials).
 */
export function invalidOption(option: string, why: string): KhalaSyncError {
  return new KhalaSyncError('client', ErrorCodes.INVALID_OPTIONS, `invalid option ${option}: ${why}`, { details: { option } });
}
