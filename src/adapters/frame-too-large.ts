import { ErrorCodes } from '../errors/codes.js';
import { ProtocolError } from '../errors/protocol-error.js';
import { exceedsUtf8Bytes, utf8ByteLength } from '../transport/utf8-bytes.js';

/**
 * The `frame_too_large` report of every lane (SPEC.md A12): the frame was skipped unparsed. With
 * `closeCode` (1009) the transport itself refused a message above its hard ceiling and dropped the
 * connection; the size is then unknown and the client reconnects.
 */
export function frameTooLarge(byteLength: number | undefined, maxFrameBytes: number, topic?: string, closeCode?: number): ProtocolError {
  if (closeCode !== undefined) {
    return new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `inbound message far above maxFrameBytes (${maxFrameBytes}): socket closed (${closeCode}), reconnecting`, {
      topic,
      retryable: true,
      details: { maxFrameBytes, closeCode },
    });
  }
  return new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `inbound frame of ${byteLength} bytes > maxFrameBytes (${maxFrameBytes}): skipped`, {
    topic,
    details: { byteLength, maxFrameBytes },
  });
}

/**
 * The UTF-8 size of an inbound frame when it is above `maxFrameBytes`, else undefined. The
 * transport's `byteLength` is trusted when it already says too large; otherwise the text itself is
 * measured (only when its length cannot rule it out), so a transport that reports UTF-16 length
 * cannot let a 3-bytes-per-character frame through.
 */
export function oversizedBytes(text: string, byteLength: number, maxFrameBytes: number): number | undefined {
  if (byteLength > maxFrameBytes) return byteLength;
  return exceedsUtf8Bytes(text, maxFrameBytes) ? utf8ByteLength(text) : undefined;
}
