// Buffers that are not zero-filled.

import { Buffer } from 'node:buffer';

/** below this size a zero-filled array costs next to nothing, and a plain one is made */
const SMALL = 4096;

/**
 * A plain Uint8Array of `n` bytes, not zero-filled when it is large. Only for a buffer that
 * is written before any of it is handed out: zero-filling a large frame's buffer, then
 * copying the frame into it, would write each of its bytes twice.
 * @param {number} n
 */
export function uninitialised(n) {
  if (n < SMALL) return new Uint8Array(n);
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}
