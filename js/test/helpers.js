// Test helpers.
import { readFileSync } from "node:fs";
import { createDecoder, bytesToHex } from '../src/codec.js';

/**
 * Events of a decoder as plain JSON-friendly values.
 * @param {import('../src/decoder.js').DecoderEvent[]} evs
 */
export function plain(evs) {
  return evs.map((e) => {
    if (e.kind === 'message') return { message: [e.type, e.flags, bytesToHex(e.payload)] };
    if (e.kind === 'piece') return { piece: [e.type, e.flags, bytesToHex(e.payload), e.first, e.last] };
    if (e.kind === 'error') return { error: e.error.errorName, fatal: e.fatal };
    return { end: true };
  });
}

/**
 * Decode `bytes` split into the given pieces, then end().
 * @param {Uint8Array} bytes @param {number[]} cuts sorted cut offsets
 * @param {import('../src/decoder.js').DecoderOptions} options
 * @param {boolean} [eof]
 */
export function decodeSplit(bytes, cuts, options, eof = true) {
  const d = createDecoder(options);
  const out = [];
  let p = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...d.feed(bytes.subarray(p, c)));
    p = c;
  }
  if (eof) out.push(...d.end());
  return plain(out);
}

/** @param {Uint8Array[]} parts */
export function cat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** @param {string} s */
export const hex = (s) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
/** @param {string} s */
export const utf8 = (s) => new TextEncoder().encode(s);

/** Known failures (FW-CNF-24): id -> reason. */
export function knownFailures() {
  const text = readFileSync(new URL('./known-failures.txt', import.meta.url), 'utf8');
  /** @type {Map<string, string>} */
  const m = new Map();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [id, ...rest] = t.split('#');
    m.set(id.trim(), rest.join('#').trim());
  }
  return m;
}

/**
 * Run `fn`; for a known failure, invert: failing is expected, passing is an error.
 * @param {string} id @param {Map<string, string>} known @param {() => void | Promise<void>} fn
 */
export async function expectOutcome(id, known, fn) {
  if (!known.has(id)) return fn();
  try {
    await fn();
  } catch {
    return; // failed as declared
  }
  throw new Error(`${id} is declared a known failure (${known.get(id)}) but passed: remove it from test/known-failures.txt`);
}
