// The codec profile: framing, checksum, multi-frame messages. Sans-I/O.
export * from './errors.js';
export { crc32c } from './crc32c.js';
export { cobsEncode, cobsDecode, cobsMaxEncodedLength } from './cobs.js';
export {
  MAGIC0, MAGIC1, VERSION, HEADER_SIZE, TRAILER_SIZE, FLAG_C, FLAG_M, FLAG_N, FLAG_R,
  APP_FLAGS_MASK, TYPE_HELLO, TYPE_ERROR, TYPE_PING, TYPE_PONG, FIRST_DATA_TYPE,
  LENGTH_CEILING, MIN_LIMIT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE,
  MAX_ANNOUNCED_MESSAGE_SIZE, isControlType, isDataType, delimitedBound, checkLimits,
  checkHeader, readU32, writeU32, writeFrame, rawFrame, normaliseFraming, frameToWire,
} from './frame.js';
/** @typedef {import('./frame.js').Framing} Framing */
/** @typedef {import('./frame.js').HeaderFault} HeaderFault */
export { Encoder, encodeMessage, messageFrames } from './encoder.js';
export { LengthPrefixedDecoder, DelimitedDecoder, createDecoder, decodeAll } from './decoder.js';
export { hexToBytes, bytesToHex } from "./hex.js";
