import { ErrorCodes } from '../errors/codes.js';
import { ProtocolError } from '../errors/protocol-error.js';

/** The `frame_too_large` report of every lane (SPEC.md A12): the frame was skipped unparsed. */
export function frameTooLarge(byteLength: number, maxFrameBytes: number, topic?: string): ProtocolError {
  return new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `inbound frame of ${byteLength} bytes exceeds maxFrameBytes (${maxFrameBytes}); skipped`, {
    topic,
    details: { byteLength, maxFrameBytes },
  });
}
