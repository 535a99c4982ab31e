// What a session sends, and how it ends, does not depend on how its input is cut
// (FW-CNF-12, FW-PNG-6): random transcripts, fed whole, byte by byte and in random pieces,
// through every receive path of the adapter, give the same reply. The generator is seeded,
// so a failure names a seed that reproduces it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preface, rawFrame, frameToWire, errorPayload, bytesToHex, FLAG_C, FLAG_M, FLAG_N } from '../src/index.js';
import { session, RECEIVE_PATHS } from '../src/conformance.js';
import { cat, utf8 } from './helpers.js';

const DATA = 0x40;
/** @type {Record<string, {type: number, flags?: number, payload?: Uint8Array, magic?: boolean}>} */
const PIECES = {
  data: { type: DATA, payload: utf8('echo') },
  first: { type: DATA, flags: FLAG_M, payload: utf8('par') },
  last: { type: DATA, flags: FLAG_N, payload: utf8('ts') },
  ping: { type: 3, payload: utf8('aaaaaaaa') },
  'ping-crc': { type: 3, flags: FLAG_C, payload: utf8('bbbbbbbb') },
  pong: { type: 4, payload: utf8('cccccccc') },
  error: { type: 2, payload: errorPayload(97, '') },
  'error-empty': { type: 2, payload: new Uint8Array(0) },
  'error-not-utf8': { type: 2, payload: new Uint8Array([0, 100, 0xff]) },
  'bad-magic': { type: DATA, payload: utf8('x'), magic: true },
  'short-ping': { type: 3, payload: utf8('abc') },
  'hello-again': { type: 1 },
};
const NAMES = Object.keys(PIECES);
const LIMITS = { max_frame_size: 256, max_message_size: 1024 };

/** A small seeded generator (mulberry32): the same seed gives the same transcripts.
 * @param {number} seed */
function generator(seed) {
  let a = seed >>> 0;
  return (/** @type {number} */ n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

/** @param {'length-prefixed' | 'delimited'} framing @param {string} name */
function piece(framing, name) {
  const { type, flags = 0, payload = new Uint8Array(0), magic = false } = PIECES[name];
  const raw = rawFrame({ type, flags, payload });
  if (magic) raw[1] = 0x56; // "FV": bad-magic
  return frameToWire(raw, framing);
}

/** @param {(n: number) => number} pick */
function transcript(pick) {
  const framing = /** @type {'length-prefixed' | 'delimited'} */ (pick(2) ? 'delimited' : 'length-prefixed');
  const parts = [preface(framing), frameToWire(rawFrame({ type: 1 }), framing)];
  for (let i = pick(7); i > 0; i--) {
    if (framing === 'delimited' && pick(2)) parts.push(new Uint8Array([0])); // a lone delimiter
    parts.push(piece(framing, NAMES[pick(NAMES.length)]));
  }
  const data = cat(...parts);
  const cut = pick(4); // end of input inside the last frame, sometimes
  return { framing, data: data.subarray(0, data.length - cut), eof: pick(2) === 1 };
}

/** @param {Uint8Array} data @param {(n: number) => number} pick @returns {Uint8Array[][]} */
function chunkings(data, pick) {
  const cuts = Array.from({ length: pick(12) }, () => pick(data.length + 1)).sort((x, y) => x - y);
  const random = [];
  let at = 0;
  for (const c of [...cuts, data.length]) {
    if (c > at) random.push(data.subarray(at, c));
    at = Math.max(at, c);
  }
  return [Array.from(data, (b) => new Uint8Array([b])), random];
}

/** @param {string} framing @param {Uint8Array[]} chunks @param {boolean} eof @param {string} receive */
function reply(framing, chunks, eof, receive) {
  return session({ framing, limits: LIMITS, chunks: chunks.map(bytesToHex), eof, receive });
}

test('session output does not depend on how the input is cut (FW-CNF-12)', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const pick = generator(seed);
    const { framing, data, eof } = transcript(pick);
    const expected = reply(framing, [data], eof, RECEIVE_PATHS.session[0]);
    for (const chunks of chunkings(data, pick)) {
      for (const path of RECEIVE_PATHS.session) {
        assert.deepEqual(reply(framing, chunks, eof, path), expected, `seed ${seed}, ${path}, ${chunks.length} chunks`);
      }
    }
  }
});

test('a PING then the peer\'s ERROR in one read still gets its PONG (FW-PNG-6)', () => {
  const framing = 'length-prefixed';
  const data = cat(preface(framing), frameToWire(rawFrame({ type: 1 }), framing), piece(framing, 'ping'), piece(framing, 'error'));
  const whole = reply(framing, [data], true, RECEIVE_PATHS.session[0]);
  const pong = bytesToHex(frameToWire(rawFrame({ type: 4, payload: utf8('aaaaaaaa') }), framing));
  assert.ok(whole.sent.endsWith(pong), whole.sent);
  assert.deepEqual(whole.end, { peer_error: { code: 97, reason: '' } });
});
