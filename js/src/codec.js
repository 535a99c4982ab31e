// The codec profile: framing, checksum, multi-frame messages. Sans-I/O.
export * from './errors.js';
export { crc32c } from './crc32c.js';
export { cobsEncode, cobsDecode, cobsMaxEncodedLength } from './cobs.js';
export * from './frame.js';
export { Encoder, encodeMessage, messageFrames } from './encoder.js';
export { LengthPrefixedDecoder, DelimitedDecoder, createDecoder, decodeAll } from './decoder.js';
export { hexToBytes, bytesToHex } from "./hex.js";
