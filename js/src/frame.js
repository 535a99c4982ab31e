// The frame (spec/frame.md, section 3): constants, header checks, and frame encoding.

import { crc32c } from './crc32c.js';
import { cobsEncodeInto, cobsMaxEncodedLength } from './cobs.js';
import { UsageError } from './errors.js';
import { binarySize } from './diagnosis.js';

export const MAGIC0 = 0x46;
export const MAGIC1 = 0x57;
export const VERSION = 0x01;
export const HEADER_SIZE = 9;
export const TRAILER_SIZE = 4;

export const FLAG_C = 0x01;
export const FLAG_M = 0x02;
export const FLAG_N = 0x04;
export const FLAG_R = 0x08;
export const APP_FLAGS_MASK = 0xf0;

export const TYPE_HELLO = 0x01;
export const TYPE_ERROR = 0x02;
export const TYPE_PING = 0x03;
export const TYPE_PONG = 0x04;
export const FIRST_DATA_TYPE = 0x40;

/** Protocol ceiling on `length` (FW-LEN-3). */
export const LENGTH_CEILING = 2 ** 30;
/** Smallest maximum frame / message size a receiver may set (FW-LIM-2). */
export const MIN_LIMIT = 256;
export const DEFAULT_MAX_FRAME_SIZE = 1048576;
export const DEFAULT_MAX_MESSAGE_SIZE = 16777216;
export const MAX_ANNOUNCED_MESSAGE_SIZE = 2 ** 32 - 1;

/** @param {number} type */
export function isControlType(type) {
  return type >= 0x01 && type <= 0x04;
}
/** @param {number} type */
export function isDataType(type) {
  return type >= FIRST_DATA_TYPE && type <= 0xff;
}

/**
 * Bound on the encoded size of one delimited frame, FW-DLM-4: n + 1 + floor(n/254), n = 13 + M.
 * @param {number} maxFrameSize
 */
export function delimitedBound(maxFrameSize) {
  return cobsMaxEncodedLength(13 + maxFrameSize);
}

/**
 * Validate receiver limits (FW-LIM-2). Throws UsageError.
 * @param {number} maxFrameSize
 * @param {number} maxMessageSize
 */
export function checkLimits(maxFrameSize, maxMessageSize) {
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < MIN_LIMIT || maxFrameSize > LENGTH_CEILING) {
    throw new UsageError(`maxFrameSize must be an integer from 256 to 2^30 (FW-LIM-2), got ${maxFrameSize}`);
  }
  if (
    !Number.isInteger(maxMessageSize) ||
    (maxMessageSize !== 0 && (maxMessageSize < MIN_LIMIT || maxMessageSize > MAX_ANNOUNCED_MESSAGE_SIZE))
  ) {
    throw new UsageError(
      `maxMessageSize must be 0 (no limit) or an integer from 256 to 2^32-1 (FW-LIM-2), got ${maxMessageSize}`,
    );
  }
}

/**
 * @typedef {object} HeaderFault
 * @property {string} name       registry name
 * @property {string} statement
 * @property {string} detail
 */

/**
 * The header checks of FW-HDR-6, in that order (up to and including `frame-too-large`).
 * `h` holds at least 9 bytes from `off`.
 * @param {Uint8Array} h
 * @param {number} off
 * @param {number} maxFrameSize
 * @returns {HeaderFault | null}
 */
export function checkHeader(h, off, maxFrameSize) {
  if (h[off] !== MAGIC0 || h[off + 1] !== MAGIC1) {
    return { name: 'bad-magic', statement: 'FW-HDR-4', detail: `magic ${hex(h[off])} ${hex(h[off + 1])}` };
  }
  if (h[off + 2] !== VERSION) {
    return { name: 'unsupported-version', statement: 'FW-HDR-5', detail: `version ${hex(h[off + 2])}` };
  }
  const flags = h[off + 3];
  const type = h[off + 4];
  if (flags & FLAG_R) {
    return { name: 'reserved-flag', statement: 'FW-FLG-1', detail: `flags ${hex(flags)}` };
  }
  if (type === 0x00 || (type >= 0x05 && type <= 0x3f)) {
    return { name: 'reserved-type', statement: 'FW-TYP-2', detail: `type ${hex(type)}` };
  }
  const control = isControlType(type);
  if (control && flags & APP_FLAGS_MASK) {
    return { name: 'reserved-flag', statement: 'FW-FLG-2', detail: `application flags on control type ${hex(type)}` };
  }
  if (control && flags & (FLAG_M | FLAG_N)) {
    return { name: 'fragmented-control', statement: 'FW-TYP-3', detail: `control type ${hex(type)} with flags ${hex(flags)}` };
  }
  const length = readU32(h, off + 5);
  if (length > maxFrameSize) {
    return {
      name: 'frame-too-large',
      statement: length > LENGTH_CEILING ? 'FW-LEN-3' : 'FW-LIM-3',
      detail:
        length > LENGTH_CEILING
          ? `length ${length} exceeds the protocol ceiling of 2^30`
          : `a frame of ${length} bytes${binarySize(length)} is larger than this side's MAX_FRAME_SIZE ${maxFrameSize}${binarySize(maxFrameSize)}; the sender must split messages into frames of at most that size`,
    };
  }
  return null;
}

/** @param {Uint8Array} b @param {number} off */
export function readU32(b, off) {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}
/** @param {Uint8Array} b @param {number} off @param {number} v */
export function writeU32(b, off, v) {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}
/** @param {number} n */
function hex(n) {
  return '0x' + (n ?? 0).toString(16).padStart(2, '0');
}

/**
 * Write a frame header into `out` at `pos`. No validation.
 * @param {Uint8Array} out
 * @param {number} pos
 * @param {number} type
 * @param {number} flags   the whole flags byte
 * @param {number} length  the payload's length
 */
export function writeHeader(out, pos, type, flags, length) {
  out[pos] = MAGIC0;
  out[pos + 1] = MAGIC1;
  out[pos + 2] = VERSION;
  out[pos + 3] = flags;
  out[pos + 4] = type;
  writeU32(out, pos + 5, length);
}

/**
 * Write one raw frame (header, payload, optional trailer) into `out` at `pos`; returns new pos.
 * No validation: use it to build any frame, valid or not.
 * @param {Uint8Array} out
 * @param {number} pos
 * @param {number} type
 * @param {number} flags   the whole flags byte
 * @param {Uint8Array} payload
 * @param {number} [start]
 * @param {number} [end]
 * @returns {number}
 */
export function writeFrame(out, pos, type, flags, payload, start = 0, end = payload.length) {
  const p0 = pos;
  writeHeader(out, pos, type, flags, end - start);
  pos += HEADER_SIZE;
  if (end > start) {
    out.set(start === 0 && end === payload.length ? payload : payload.subarray(start, end), pos);
    pos += end - start;
  }
  if (flags & FLAG_C) {
    writeU32(out, pos, crc32c(out, 0, p0, pos));
    pos += TRAILER_SIZE;
  }
  return pos;
}

/**
 * One raw frame as bytes (no framing). No validation.
 * @param {{type: number, flags?: number, payload?: Uint8Array, length?: number}} f
 *   `flags` is the whole flags byte; `length` overrides the header's length field (for tests).
 * @returns {Uint8Array}
 */
export function rawFrame(f) {
  const payload = f.payload ?? new Uint8Array(0);
  const flags = f.flags ?? 0;
  const out = new Uint8Array(HEADER_SIZE + payload.length + (flags & FLAG_C ? TRAILER_SIZE : 0));
  writeFrame(out, 0, f.type, flags, payload);
  if (f.length !== undefined) {
    writeU32(out, 5, f.length);
    if (flags & FLAG_C) writeU32(out, out.length - 4, crc32c(out, 0, 0, out.length - 4));
  }
  return out;
}

/** @typedef {'length-prefixed' | 'delimited'} Framing */

/**
 * @param {unknown} framing
 * @returns {Framing}
 */
export function normaliseFraming(framing) {
  if (framing === undefined || framing === 'length-prefixed' || framing === 'L' || framing === 'lp') return 'length-prefixed';
  if (framing === 'delimited' || framing === 'D' || framing === 'cobs') return 'delimited';
  throw new UsageError(`unknown framing ${String(framing)}: use 'length-prefixed' or 'delimited'`);
}

/**
 * Apply a framing to one raw frame: itself in length-prefixed framing, COBS + 0x00 in delimited.
 * @param {Uint8Array} frame
 * @param {Framing} framing
 */
export function frameToWire(frame, framing) {
  if (framing === 'length-prefixed') return frame;
  const out = new Uint8Array(cobsMaxEncodedLength(frame.length) + 1);
  const n = cobsEncodeInto(frame, out, 0);
  out[n] = 0;
  return out.subarray(0, n + 1);
}
