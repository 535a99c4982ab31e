// COBS as defined by spec/framings.md 4.2.1 (FW-COB-1 .. FW-COB-4).

/**
 * Upper bound on the COBS encoding of `n` bytes (FW-COB-4): n + 1 + floor(n / 254).
 * @param {number} n
 */
export function cobsMaxEncodedLength(n) {
  return n + 1 + Math.floor(n / 254);
}

/**
 * Canonical COBS encoding of `data[start..end)` into `out` at `outPos` (FW-COB-1).
 * Returns the new output position. `out` must have room for cobsMaxEncodedLength(end - start).
 * @param {Uint8Array} data
 * @param {Uint8Array} out
 * @param {number} outPos
 * @param {number} [start]
 * @param {number} [end]
 * @returns {number}
 */
export function cobsEncodeInto(data, out, outPos, start = 0, end = data.length) {
  let codePos = outPos++;
  let code = 1;
  let i = start;
  while (i < end) {
    const b = data[i++];
    if (b === 0) {
      out[codePos] = code;
      codePos = outPos++;
      code = 1;
    } else {
      out[outPos++] = b;
      code++;
      if (code === 0xff) {
        out[codePos] = 0xff;
        // A full block stands for no zero. If it is the very end of the data, nothing follows
        // (no empty 0x01 block, FW-COB-1); otherwise a new block starts.
        if (i === end) return outPos;
        codePos = outPos++;
        code = 1;
      }
    }
  }
  out[codePos] = code;
  return outPos;
}

/**
 * Canonical COBS encoding of `data` (without the 0x00 delimiter).
 * @param {Uint8Array} data
 * @returns {Uint8Array}
 */
export function cobsEncode(data) {
  const out = new Uint8Array(cobsMaxEncodedLength(data.length));
  const n = cobsEncodeInto(data, out, 0);
  return out.subarray(0, n);
}

/**
 * Decode one COBS-encoded frame (the bytes before its delimiter, none of them 0x00).
 * Returns null when a code byte overruns the data (`cobs-invalid`, FW-COB-2) or a 0x00 is present.
 * Accepts a final empty block after a 0xFF block (FW-COB-3).
 * @param {Uint8Array} enc
 * @returns {Uint8Array | null}
 */
export function cobsDecode(enc) {
  const out = new Uint8Array(enc.length);
  let o = 0;
  let i = 0;
  const n = enc.length;
  while (i < n) {
    const c = enc[i++];
    if (c === 0) return null;
    const len = c - 1;
    if (i + len > n) return null;
    for (let k = 0; k < len; k++) {
      const b = enc[i + k];
      if (b === 0) return null;
      out[o++] = b;
    }
    i += len;
    if (c !== 0xff && i < n) out[o++] = 0;
  }
  return out.subarray(0, o);
}
