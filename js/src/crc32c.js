// CRC-32C (Castagnoli), FW-CRC-2: reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF.
// Table-driven, slicing-by-8.

const POLY = 0x82f63b78;
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n];
  for (let s = 1; s < 8; s++) {
    c = T[c & 0xff] ^ (c >>> 8);
    T[s * 256 + n] = c;
  }
}

/**
 * Continue a CRC-32C over `bytes[start..end)`. `crc` is a previous result (0 for a fresh start).
 * @param {Uint8Array} bytes
 * @param {number} [crc]
 * @param {number} [start]
 * @param {number} [end]
 * @returns {number} unsigned 32-bit CRC-32C
 */
export function crc32c(bytes, crc = 0, start = 0, end = bytes.length) {
  let c = ~crc;
  let i = start;
  const fast = end - ((end - i) & 7);
  while (i < fast) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c =
      T[7 * 256 + (a & 0xff)] ^
      T[6 * 256 + ((a >>> 8) & 0xff)] ^
      T[5 * 256 + ((a >>> 16) & 0xff)] ^
      T[4 * 256 + (a >>> 24)] ^
      T[3 * 256 + bytes[i + 4]] ^
      T[2 * 256 + bytes[i + 5]] ^
      T[256 + bytes[i + 6]] ^
      T[bytes[i + 7]];
    i += 8;
  }
  while (i < end) c = T[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
