// Encoder (sans-I/O): messages to canonical wire bytes in either framing.

import {
  APP_FLAGS_MASK,
  DEFAULT_MAX_FRAME_SIZE,
  FLAG_C,
  FLAG_M,
  FLAG_N,
  HEADER_SIZE,
  LENGTH_CEILING,
  TRAILER_SIZE,
  isControlType,
  isDataType,
  normaliseFraming,
  writeFrame,
} from './frame.js';
import { cobsEncodeInto, cobsMaxEncodedLength } from './cobs.js';
import { UsageError } from './errors.js';

/**
 * @typedef {object} EncodeOptions
 * @property {number} [flags]         application flags of the message, 0..15 (must be 0 on a control message)
 * @property {boolean} [checksum]     add a CRC-32C trailer to every frame
 * @property {number} [maxFrameSize]  largest payload per frame (the peer's MAX_FRAME_SIZE); longer messages are split
 */

/**
 * Validate a message and compute the frame payload sizes of its canonical split: frames of
 * `maxFrameSize` bytes, then the remainder; no empty last frame unless the message is empty.
 * @param {number} type
 * @param {Uint8Array} payload
 * @param {number} appFlags
 * @param {number} maxFrameSize
 * @returns {number} number of frames
 */
function plan(type, payload, appFlags, maxFrameSize) {
  if (!(payload instanceof Uint8Array)) throw new UsageError('payload must be a Uint8Array');
  if (!Number.isInteger(type) || !(isDataType(type) || isControlType(type))) {
    throw new UsageError(`type must be a control type 0x01-0x04 or a data type 0x40-0xFF, got ${type}`);
  }
  if (!Number.isInteger(appFlags) || appFlags < 0 || appFlags > 15) {
    throw new UsageError(`application flags must be an integer 0..15, got ${appFlags}`);
  }
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < 1 || maxFrameSize > LENGTH_CEILING) {
    throw new UsageError(`maxFrameSize must be an integer from 1 to 2^30, got ${maxFrameSize}`);
  }
  if (isControlType(type)) {
    if (appFlags !== 0) throw new UsageError('a control message cannot carry application flags (FW-FLG-2)');
    if (payload.length > maxFrameSize) {
      throw new UsageError('a control message must fit in one frame (FW-TYP-3)');
    }
    return 1;
  }
  return payload.length === 0 ? 1 : Math.ceil(payload.length / maxFrameSize);
}

/**
 * The canonical split of a message, or of one piece of a streamed message, into frames of
 * at most `maxFrameSize` payload bytes (no empty last frame unless the piece is empty): the
 * only place frames are cut. Hands each frame's flags byte and payload range to `frame`.
 * @param {number} length       payload bytes of the message or piece
 * @param {number} maxFrameSize
 * @param {number} flags        the flags every frame carries (application flags and C)
 * @param {boolean} first       the piece starts its message (its first frame has no N)
 * @param {boolean} last        the piece ends its message (its last frame has no M)
 * @param {(flags: number, start: number, end: number) => void} frame
 */
export function splitFrames(length, maxFrameSize, flags, first, last, frame) {
  const count = length === 0 ? 1 : Math.ceil(length / maxFrameSize);
  for (let i = 0; i < count; i++) {
    const start = i * maxFrameSize;
    const n = first && i === 0 ? 0 : FLAG_N;
    const m = last && i === count - 1 ? 0 : FLAG_M;
    frame(flags | n | m, start, Math.min(length, start + maxFrameSize));
  }
}

/**
 * The raw frames (no framing applied) of one message, in order.
 * @param {number} type
 * @param {Uint8Array} payload
 * @param {EncodeOptions} [options]
 * @returns {Uint8Array[]}
 */
export function messageFrames(type, payload, options = {}) {
  const appFlags = options.flags ?? 0;
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  plan(type, payload, appFlags, maxFrameSize);
  const c = options.checksum ? FLAG_C : 0;
  /** @type {Uint8Array[]} */
  const frames = [];
  splitFrames(payload.length, maxFrameSize, (appFlags << 4) | c, true, true, (flags, start, end) => {
    const out = new Uint8Array(HEADER_SIZE + (end - start) + (c ? TRAILER_SIZE : 0));
    writeFrame(out, 0, type, flags, payload, start, end);
    frames.push(out);
  });
  return frames;
}

/**
 * Canonical wire bytes of one message.
 * @param {import('./frame.js').Framing} framing
 * @param {number} type
 * @param {Uint8Array} payload
 * @param {EncodeOptions} [options]
 * @returns {Uint8Array}
 */
export function encodeMessage(framing, type, payload, options = {}) {
  const appFlags = options.flags ?? 0;
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  const count = plan(type, payload, appFlags, maxFrameSize);
  const c = options.checksum ? FLAG_C : 0;
  const flags = (appFlags << 4) | c;
  const perFrame = HEADER_SIZE + (c ? TRAILER_SIZE : 0);
  if (framing === 'length-prefixed') {
    const out = new Uint8Array(payload.length + count * perFrame);
    let pos = 0;
    splitFrames(payload.length, maxFrameSize, flags, true, true, (fl, start, end) => {
      pos = writeFrame(out, pos, type, fl, payload, start, end);
    });
    return out;
  }
  // delimited: COBS(frame) 0x00 for each frame
  let bound = 0;
  splitFrames(payload.length, maxFrameSize, flags, true, true, (_fl, start, end) => {
    bound += cobsMaxEncodedLength(perFrame + end - start) + 1;
  });
  const out = new Uint8Array(bound);
  const scratch = new Uint8Array(perFrame + Math.min(payload.length, maxFrameSize));
  let pos = 0;
  splitFrames(payload.length, maxFrameSize, flags, true, true, (fl, start, end) => {
    const n = writeFrame(scratch, 0, type, fl, payload, start, end);
    pos = cobsEncodeInto(scratch, out, pos, 0, n);
    out[pos++] = 0;
  });
  return out.subarray(0, pos);
}

/** A reusable encoder bound to one framing and default options. */
export class Encoder {
  /**
   * @param {{framing?: import('./frame.js').Framing | 'L' | 'D', checksum?: boolean, maxFrameSize?: number}} [options]
   */
  constructor(options = {}) {
    /** @type {import('./frame.js').Framing} */
    this.framing = normaliseFraming(options.framing);
    this.checksum = options.checksum ?? false;
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    plan(0x40, new Uint8Array(0), 0, this.maxFrameSize);
  }

  /**
   * Wire bytes of one message.
   * @param {number} type
   * @param {Uint8Array} payload
   * @param {EncodeOptions} [options]
   */
  encode(type, payload, options = {}) {
    return encodeMessage(this.framing, type, payload, {
      flags: options.flags ?? 0,
      checksum: options.checksum ?? this.checksum,
      maxFrameSize: options.maxFrameSize ?? this.maxFrameSize,
    });
  }
}

export { APP_FLAGS_MASK };
