// Hex helpers (lowercase, two digits per byte), as used by the vectors and the adapter protocol.

/** @param {string} hex @returns {Uint8Array} */
export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`not a hex string: ${String(hex).slice(0, 40)}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** @param {Uint8Array} bytes @returns {string} */
export function bytesToHex(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
