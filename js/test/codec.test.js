import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  crc32c,
  cobsEncode,
  cobsDecode,
  encodeMessage,
  messageFrames,
  rawFrame,
  frameToWire,
  createDecoder,
  decodeAll,
  Encoder,
  FramewireError,
  UsageError,
  REGISTRY,
  CODES,
  delimitedBound,
  bytesToHex,
} from '../src/codec.js';
import { plain, decodeSplit, cat, hex, utf8 } from './helpers.js';

const LP = /** @type {const} */ ({ framing: 'length-prefixed' });
const DL = /** @type {const} */ ({ framing: 'delimited' });

test('CRC-32C check values (FW-CRC-2)', () => {
  assert.equal(crc32c(utf8('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  const b = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
  for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
    assert.equal(crc32c(b.subarray(cut), crc32c(b.subarray(0, cut))), crc32c(b));
  }
});

test('registry: codes and names', () => {
  assert.equal(REGISTRY.length, 21);
  assert.equal(CODES['bad-magic'], 100);
  assert.equal(CODES['internal-error'], 305);
  const e = new FramewireError('checksum-mismatch', 'x');
  assert.equal(e.code, 108);
  assert.equal(e.errorName, 'checksum-mismatch');
  assert.equal(e.statement, 'FW-CRC-3');
  assert.throws(() => new FramewireError('no-such-error'), UsageError);
});

test('COBS canonical encoding (FW-COB-1) and decoding (FW-COB-2, FW-COB-3)', () => {
  assert.equal(bytesToHex(cobsEncode(new Uint8Array(0))), '01');
  assert.equal(bytesToHex(cobsEncode(hex('00'))), '0101');
  assert.equal(bytesToHex(cobsEncode(hex('112200 33'))), '0311220233');
  const ones = (/** @type {number} */ n) => new Uint8Array(n).fill(1);
  assert.equal(cobsEncode(ones(254)).length, 255); // ff + 254, no trailing 01
  assert.equal(bytesToHex(cobsEncode(ones(254)).subarray(0, 1)), 'ff');
  assert.equal(bytesToHex(cobsEncode(cat(ones(254), hex('00'))).subarray(-2)), '0101');
  // non-canonical trailing empty block is accepted
  const enc = cobsEncode(ones(254));
  assert.deepEqual(cobsDecode(cat(enc, hex('01'))), ones(254));
  assert.equal(cobsDecode(hex('05 4142')), null);
  for (let t = 0; t < 300; t++) {
    const n = (t * 37) % 700;
    const d = new Uint8Array(n).map((_, i) => ((i * 7 + t) % 5 === 0 ? 0 : (i + t) & 0xff));
    const e = cobsEncode(d);
    assert.ok(!e.includes(0));
    assert.ok(e.length <= n + 1 + Math.floor(n / 254));
    assert.deepEqual(cobsDecode(e), d);
  }
});

/** The examples of spec/examples.md, read from its Markdown source. */
function specExamples() {
  const md = readFileSync(new URL('../../spec/examples.md', import.meta.url), 'utf8');
  /** @type {Record<string, Uint8Array>} */
  const ex = {};
  for (const m of md.matchAll(/```text title="example: ([a-z0-9-]+)"\n([\s\S]*?)```/g)) ex[m[1]] = hex(m[2]);
  return ex;
}

test('spec examples (appendix B) decode and encode', () => {
  const ex = specExamples();
  const hello = utf8('hello');
  assert.deepEqual(encodeMessage('length-prefixed', 0x40, hello), ex['small-data-frame']);
  assert.deepEqual(encodeMessage('delimited', 0x40, hello), ex['small-data-frame-delimited']);
  assert.deepEqual(encodeMessage('length-prefixed', 0x40, hello, { checksum: true }), ex['checksummed-frame']);
  for (const [name, framing] of /** @type {const} */ ([
    ['small-data-frame', 'length-prefixed'],
    ['small-data-frame-delimited', 'delimited'],
    ['checksummed-frame', 'length-prefixed'],
  ])) {
    assert.deepEqual(plain(decodeAll(ex[name], { framing })), [{ message: [0x40, 0, bytesToHex(hello)] }, { end: true }]);
  }
  assert.deepEqual(plain(decodeAll(ex['three-frame-message'], LP)), [
    { message: [0x42, 3, bytesToHex(utf8('Framewire'))] },
    { end: true },
  ]);
  const p254 = new Uint8Array(254).map((_, i) => i + 1);
  assert.deepEqual(encodeMessage('delimited', 0x40, p254), ex['payload-254-delimited']);
  assert.deepEqual(encodeMessage('delimited', 0x40, p254.subarray(0, 253)), ex['payload-253-delimited']);
  assert.deepEqual(plain(decodeAll(ex['payload-254-delimited'], DL)), [{ message: [0x40, 0, bytesToHex(p254)] }, { end: true }]);
});

test('encoder: canonical split, flags, empty message', () => {
  const frames = messageFrames(0x41, new Uint8Array(600), { flags: 2, maxFrameSize: 256 });
  assert.deepEqual(
    frames.map((f) => [f[3], f[4], f.length - 9]),
    [
      [0x22, 0x41, 256],
      [0x26, 0x41, 256],
      [0x24, 0x41, 88],
    ],
  );
  assert.equal(messageFrames(0x40, new Uint8Array(512), { maxFrameSize: 256 }).length, 2); // no empty last frame
  const empty = messageFrames(0x40, new Uint8Array(0));
  assert.deepEqual(empty, [hex('465701004000000000')]);
  assert.throws(() => encodeMessage('length-prefixed', 0x10, new Uint8Array(0)), UsageError);
  assert.throws(() => encodeMessage('length-prefixed', 0x40, new Uint8Array(0), { flags: 16 }), UsageError);
  assert.throws(() => encodeMessage('length-prefixed', 0x03, new Uint8Array(8), { flags: 1 }), UsageError);
  assert.throws(() => encodeMessage('length-prefixed', 0x03, new Uint8Array(300), { maxFrameSize: 256 }), UsageError);
  const enc = new Encoder({ framing: 'delimited', checksum: true, maxFrameSize: 300 });
  const w = enc.encode(0x40, new Uint8Array(1000).fill(9), { flags: 1 });
  assert.deepEqual(plain(decodeAll(w, DL)), [{ message: [0x40, 1, '09'.repeat(1000)] }, { end: true }]);
});

/** A varied stream: several messages, multi-frame, control frames in between, checksums mixed. */
function sampleStream(/** @type {'length-prefixed' | 'delimited'} */ framing) {
  const big = new Uint8Array(700).map((_, i) => i & 0xff);
  return cat(
    encodeMessage(framing, 0x40, utf8('hello')),
    encodeMessage(framing, 0x41, big, { flags: 7, maxFrameSize: 256, checksum: true }),
    frameToWire(rawFrame({ type: 0x50, flags: 0x02, payload: utf8('ab') }), framing),
    encodeMessage(framing, 0x03, new Uint8Array(8).fill(1)), // PING between frames (FW-MSG-6)
    frameToWire(rawFrame({ type: 0x50, flags: 0x07, payload: utf8('cd') }), framing), // with checksum (FW-CRC-4)
    frameToWire(rawFrame({ type: 0x50, flags: 0x04, payload: new Uint8Array(0) }), framing), // empty last
    encodeMessage(framing, 0xff, new Uint8Array(0), { flags: 15 }),
  );
}

for (const framing of /** @type {const} */ (['length-prefixed', 'delimited'])) {
  test(`${framing}: round trip and every split point gives the same events`, () => {
    const s = sampleStream(framing);
    const ref = decodeSplit(s, [], { framing });
    assert.deepEqual(ref, [
      { message: [0x40, 0, bytesToHex(utf8('hello'))] },
      { message: [0x41, 7, bytesToHex(new Uint8Array(700).map((_, i) => i & 0xff))] },
      { message: [0x03, 0, '01'.repeat(8)] },
      { message: [0x50, 0, bytesToHex(utf8('abcd'))] },
      { message: [0xff, 15, ''] },
      { end: true },
    ]);
    for (let i = 0; i <= s.length; i++) assert.deepEqual(decodeSplit(s, [i], { framing }), ref, `split at ${i}`);
    const all = Array.from({ length: s.length }, (_, i) => i);
    assert.deepEqual(decodeSplit(s, all, { framing }), ref, 'byte by byte');
  });

  test(`${framing}: streaming pieces (FW-MSG-15)`, () => {
    const s = sampleStream(framing);
    const evs = decodeSplit(s, [], { framing, pieces: true, assemble: false });
    assert.deepEqual(evs.slice(0, 3), [
      { piece: [0x40, 0, bytesToHex(utf8('hello')), true, true] },
      { piece: [0x41, 7, bytesToHex(new Uint8Array(256).map((_, i) => i & 0xff)), true, false] },
      { piece: [0x41, 7, bytesToHex(new Uint8Array(256).map((_, i) => i & 0xff)), false, false] },
    ]);
    assert.equal(evs.filter((e) => 'message' in e).length, 1); // the PING
    assert.equal(evs.filter((e) => 'piece' in e).length, 8);
  });

  test(`${framing}: end of input inside a frame or a message`, () => {
    const one = encodeMessage(framing, 0x40, utf8('xyz'));
    assert.deepEqual(decodeSplit(one.subarray(0, one.length - 1), [], { framing }).at(-1), { error: 'truncated-frame', fatal: true });
    assert.deepEqual(decodeSplit(one.subarray(0, 3), [], { framing }), [{ error: 'truncated-frame', fatal: true }]);
    const first = frameToWire(rawFrame({ type: 0x40, flags: 0x02, payload: utf8('a') }), framing);
    assert.deepEqual(decodeSplit(first, [], { framing }), [{ error: 'truncated-message', fatal: true }]);
    // one end of input, one error (FW-MSG-11)
    assert.deepEqual(decodeSplit(cat(first, one.subarray(0, 4)), [], { framing }), [{ error: 'truncated-frame', fatal: true }]);
    assert.deepEqual(decodeSplit(new Uint8Array(0), [], { framing }), [{ end: true }]);
    // no end of input: open, nothing pending delivered
    assert.deepEqual(decodeSplit(first, [], { framing }, false), []);
  });
}

/** One faulty frame for each header error, with the expected error name. */
const HEADER_FAULTS = [
  ['bad-magic', hex('4657'), (/** @type {Uint8Array} */ f) => (f[1] = 0x58)],
  ['unsupported-version', null, (/** @type {Uint8Array} */ f) => (f[2] = 2)],
  ['reserved-flag', null, (/** @type {Uint8Array} */ f) => (f[3] |= 0x08)],
  ['reserved-type', null, (/** @type {Uint8Array} */ f) => (f[4] = 0x05)],
  ['reserved-type', null, (/** @type {Uint8Array} */ f) => (f[4] = 0x00)],
  ['frame-too-large', null, (/** @type {Uint8Array} */ f) => (f[5] = 0x40)],
];

test('length-prefixed: header errors are fatal, reported from the header alone', () => {
  for (const [name, , mutate] of HEADER_FAULTS) {
    const f = rawFrame({ type: 0x40, payload: utf8('abc') });
    /** @type {any} */ (mutate)(f);
    const d = createDecoder(LP);
    const ok = encodeMessage('length-prefixed', 0x40, utf8('ok'));
    // the error is reported as soon as the 9 header bytes are in (FW-LPF-2, FW-LEN-4)
    const evs = plain([...d.feed(ok), ...d.feed(f.subarray(0, 9))]);
    assert.deepEqual(evs, [{ message: [0x40, 0, bytesToHex(utf8('ok'))] }, { error: name, fatal: true }], String(name));
    assert.deepEqual(d.feed(ok), []); // nothing after a fatal error (FW-LPF-3)
    assert.deepEqual(d.end(), []);
  }
  // application flags on a control frame; fragmented control
  assert.deepEqual(plain(decodeAll(rawFrame({ type: 0x03, flags: 0x10, payload: new Uint8Array(8) }), LP)), [
    { error: 'reserved-flag', fatal: true },
  ]);
  assert.deepEqual(plain(decodeAll(rawFrame({ type: 0x03, flags: 0x02, payload: new Uint8Array(8) }), LP)), [
    { error: 'fragmented-control', fatal: true },
  ]);
  // order of checks (FW-HDR-6): bad magic wins over everything else
  assert.deepEqual(plain(decodeAll(hex('0000020f05ffffffff'), LP)), [{ error: 'bad-magic', fatal: true }]);
  // frame-too-large above the ceiling, with no payload sent at all
  const d = createDecoder({ ...LP, maxFrameSize: 2 ** 30 });
  assert.deepEqual(plain(d.feed(hex('465701004040000001'))), [{ error: 'frame-too-large', fatal: true }]);
});

test('length-prefixed: checksum mismatch delivers nothing of the frame (FW-CRC-3)', () => {
  const f = rawFrame({ type: 0x40, flags: 0x01, payload: utf8('hello') });
  f[10] ^= 1;
  assert.deepEqual(plain(decodeAll(f, LP)), [{ error: 'checksum-mismatch', fatal: true }]);
  const g = rawFrame({ type: 0x40, flags: 0x01, payload: utf8('hello') });
  g[g.length - 1] ^= 0x80;
  assert.deepEqual(decodeSplit(g, [3, 12], LP), [{ error: 'checksum-mismatch', fatal: true }]);
});

test('message rules (FW-MSG-7..10), length-prefixed: fatal', () => {
  const start = rawFrame({ type: 0x40, flags: 0x12, payload: utf8('a') });
  const cases = [
    ['unexpected-continuation', [rawFrame({ type: 0x40, flags: 0x04, payload: utf8('a') })]],
    ['message-interrupted', [start, rawFrame({ type: 0x40, flags: 0x10, payload: utf8('b') })]],
    ['continuation-mismatch', [start, rawFrame({ type: 0x41, flags: 0x14, payload: utf8('b') })]],
    ['continuation-mismatch', [start, rawFrame({ type: 0x40, flags: 0x24, payload: utf8('b') })]],
  ];
  for (const [name, frames] of cases) {
    assert.deepEqual(plain(decodeAll(cat(.../** @type {Uint8Array[]} */ (frames)), LP)), [{ error: name, fatal: true }], String(name));
  }
  const lim = { ...LP, maxFrameSize: 256, maxMessageSize: 300 };
  const a = rawFrame({ type: 0x40, flags: 0x02, payload: new Uint8Array(200) });
  const b = rawFrame({ type: 0x40, flags: 0x04, payload: new Uint8Array(101) });
  assert.deepEqual(plain(decodeAll(cat(a, b.subarray(0, 9)), lim)), [{ error: 'message-too-large', fatal: true }]);
  const c = rawFrame({ type: 0x40, flags: 0x04, payload: new Uint8Array(100) });
  assert.deepEqual(plain(decodeAll(cat(a, c), lim)), [{ message: [0x40, 0, '00'.repeat(300)] }, { end: true }]);
  // no message limit
  const nolim = { ...LP, maxFrameSize: 256, maxMessageSize: 0 };
  const many = encodeMessage('length-prefixed', 0x40, new Uint8Array(5000), { maxFrameSize: 256 });
  assert.equal(String(plain(decodeAll(many, nolim))[0].message?.[2]).length, 10000);
});

test('delimited: every error is recoverable (FW-DLM-6) and decoding resumes after the delimiter', () => {
  const ok = encodeMessage('delimited', 0x40, utf8('ok'));
  const okEv = { message: [0x40, 0, bytesToHex(utf8('ok'))] };
  for (const [name, , mutate] of HEADER_FAULTS) {
    const f = rawFrame({ type: 0x40, payload: utf8('abc') });
    if (name === 'frame-too-large') continue; // length changes the frame size: below
    /** @type {any} */ (mutate)(f);
    assert.deepEqual(plain(decodeAll(cat(ok, frameToWire(f, 'delimited'), ok), DL)), [okEv, { error: name, fatal: false }, okEv, { end: true }]);
  }
  // frame-too-large from the header; length-mismatch; cobs-invalid; checksum
  const big = rawFrame({ type: 0x40, payload: new Uint8Array(300), length: 300 });
  const lim = { ...DL, maxFrameSize: 256 };
  assert.deepEqual(plain(decodeAll(cat(frameToWire(big, 'delimited'), ok), lim)), [{ error: 'frame-too-large', fatal: false }, okEv, { end: true }]);
  const lm = rawFrame({ type: 0x40, payload: utf8('abc'), length: 4 });
  assert.deepEqual(plain(decodeAll(cat(frameToWire(lm, 'delimited'), ok), DL)), [{ error: 'length-mismatch', fatal: false }, okEv, { end: true }]);
  assert.deepEqual(plain(decodeAll(cat(hex('03465700'), ok), DL)), [{ error: 'length-mismatch', fatal: false }, okEv, { end: true }]);
  assert.deepEqual(plain(decodeAll(cat(hex('0a46570100'), ok), DL)), [{ error: 'cobs-invalid', fatal: false }, okEv, { end: true }]);
  const cs = rawFrame({ type: 0x40, flags: 1, payload: utf8('abc') });
  cs[9] ^= 4;
  assert.deepEqual(plain(decodeAll(cat(frameToWire(cs, 'delimited'), ok), DL)), [{ error: 'checksum-mismatch', fatal: false }, okEv, { end: true }]);
  // empty frames are ignored (FW-DLM-2)
  assert.deepEqual(plain(decodeAll(cat(hex('0000'), ok, hex('00')), DL)), [okEv, { end: true }]);
  // bytes before the first delimiter form a frame (FW-DLM-8), unless hunting
  assert.deepEqual(plain(decodeAll(cat(hex('010200'), ok), { ...DL, hunting: true })), [okEv, { end: true }]);
  assert.deepEqual(plain(decodeAll(cat(hex('0102'), ok), { ...DL, hunting: true })), [{ end: true }]);
  assert.deepEqual(plain(decodeAll(cat(hex('414243'), ok), { ...DL, hunting: true })), [{ end: true }]);
  assert.deepEqual(plain(decodeAll(cat(hex('4100'), ok), { ...DL, hunting: true })), [okEv, { end: true }]);
});

test('delimited: message recovery (FW-MSG-12..14)', () => {
  const w = (/** @type {number} */ type, /** @type {number} */ flags, /** @type {string} */ p) =>
    frameToWire(rawFrame({ type, flags, payload: utf8(p) }), 'delimited');
  const msg = (/** @type {string} */ p, type = 0x40) => ({ message: [type, 0, bytesToHex(utf8(p))] });
  // unexpected continuation: that frame only
  assert.deepEqual(plain(decodeAll(cat(w(0x40, 4, 'x'), w(0x40, 0, 'ok')), DL)), [{ error: 'unexpected-continuation', fatal: false }, msg('ok'), { end: true }]);
  // interrupted: old message dropped, new frame starts a message
  assert.deepEqual(plain(decodeAll(cat(w(0x40, 2, 'old'), w(0x40, 2, 'new'), w(0x40, 4, '!')), DL)), [
    { error: 'message-interrupted', fatal: false },
    msg('new!'),
    { end: true },
  ]);
  // mismatch: frame and message dropped; later continuations rejected one by one
  assert.deepEqual(plain(decodeAll(cat(w(0x40, 2, 'a'), w(0x41, 6, 'b'), w(0x40, 4, 'c'), w(0x40, 0, 'ok')), DL)), [
    { error: 'continuation-mismatch', fatal: false },
    { error: 'unexpected-continuation', fatal: false },
    msg('ok'),
    { end: true },
  ]);
  // a frame error inside a message drops the message too
  const bad = rawFrame({ type: 0x40, flags: 0x07, payload: utf8('b') });
  bad[9] ^= 1;
  assert.deepEqual(plain(decodeAll(cat(w(0x40, 2, 'a'), frameToWire(bad, 'delimited'), w(0x40, 4, 'c')), DL)), [
    { error: 'checksum-mismatch', fatal: false },
    { error: 'unexpected-continuation', fatal: false },
    { end: true },
  ]);
  // message-too-large
  const lim = { ...DL, maxFrameSize: 256, maxMessageSize: 256 };
  const a = frameToWire(rawFrame({ type: 0x40, flags: 2, payload: new Uint8Array(200).fill(1) }), 'delimited');
  const b = frameToWire(rawFrame({ type: 0x40, flags: 4, payload: new Uint8Array(100).fill(1) }), 'delimited');
  assert.deepEqual(plain(decodeAll(cat(a, b, w(0x40, 0, 'ok')), lim)), [{ error: 'message-too-large', fatal: false }, msg('ok'), { end: true }]);
  // control frames inside a message are delivered at once (FW-MSG-6)
  assert.deepEqual(plain(decodeAll(cat(w(0x40, 2, 'a'), w(0x04, 0, '12345678'), w(0x40, 4, 'b')), DL)), [msg('12345678', 4), msg('ab'), { end: true }]);
});

test('delimited: encoded-size bound (FW-DLM-4) rejects at once and discards to the next 0x00', () => {
  const lim = { ...DL, maxFrameSize: 256 };
  const E = delimitedBound(256);
  assert.equal(E, 269 + 1 + 1);
  // the formula of FW-DLM-4 gives 1,052,718 for the default; the table of 7.1 says 1,052,715
  assert.equal(delimitedBound(1048576), 1048589 + 1 + 4128);
  // a valid header (length 10), then far more bytes than it announces
  const head = frameToWire(rawFrame({ type: 0x40, payload: new Uint8Array(10).fill(1) }), 'delimited').subarray(0, -1);
  const filler = (/** @type {number} */ n) => cat(head, new Uint8Array(n - head.length).fill(1));
  const d = createDecoder(lim);
  assert.deepEqual(plain(d.feed(filler(E))), []);
  assert.deepEqual(plain(d.feed(hex('01'))), [{ error: 'frame-too-large', fatal: false }]);
  assert.deepEqual(plain(d.feed(new Uint8Array(100000).fill(7))), []); // discarded, not buffered
  const ok = encodeMessage('delimited', 0x40, utf8('ok'));
  assert.deepEqual(plain([...d.feed(cat(hex('0500'), ok)), ...d.end()]), [{ message: [0x40, 0, bytesToHex(utf8('ok'))] }, { end: true }]);
  // end of input while discarding is clean
  const d2 = createDecoder(lim);
  assert.deepEqual(plain([...d2.feed(filler(E + 5)), ...d2.end()]), [{ error: 'frame-too-large', fatal: false }, { end: true }]);
  // exceeding the bound is frame-too-large at once, whatever the partial header says (FW-DLM-4)
  const d3 = createDecoder(lim);
  assert.deepEqual(plain(d3.feed(new Uint8Array(E + 1).fill(1))), [{ error: 'frame-too-large', fatal: false }]);
  // a frame of exactly E encoded bytes is not rejected by the bound
  const max = rawFrame({ type: 0x40, flags: 1, payload: new Uint8Array(256).fill(9) });
  assert.deepEqual(plain(decodeAll(frameToWire(max, 'delimited'), lim)).at(-1), { end: true });
});

test('delimited fatal mode (sessions, FW-DLM-9) stops at the first error', () => {
  const bad = frameToWire(rawFrame({ type: 0x05 }), 'delimited');
  const ok = encodeMessage('delimited', 0x40, utf8('ok'));
  assert.deepEqual(plain(decodeAll(cat(bad, ok), { ...DL, fatal: true })), [{ error: 'reserved-type', fatal: true }]);
});

test('decoder options are validated (FW-LIM-2)', () => {
  assert.throws(() => createDecoder({ maxFrameSize: 255 }), UsageError);
  assert.throws(() => createDecoder({ maxFrameSize: 2 ** 30 + 1 }), UsageError);
  assert.throws(() => createDecoder({ maxMessageSize: 100 }), UsageError);
  assert.doesNotThrow(() => createDecoder({ maxMessageSize: 0 }));
  const d = createDecoder({});
  d.end();
  assert.throws(() => d.feed(new Uint8Array(1)), UsageError);
});

test('random garbage never crashes a decoder (FW-ERR-8)', () => {
  let seed = 12345;
  const r = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let t = 0; t < 400; t++) {
    const base = sampleStream(t % 2 ? 'delimited' : 'length-prefixed');
    const b = base.slice();
    for (let k = 0; k < 3; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    for (const framing of /** @type {const} */ (['length-prefixed', 'delimited'])) {
      const evs = decodeSplit(b, [Math.floor(r() * b.length)].sort((x, y) => x - y), { framing, maxFrameSize: 256, maxMessageSize: 1024 });
      // the input ends: the last event is the clean end or the fatal error that ended it
      const last = /** @type {any} */ (evs.at(-1));
      assert.ok(last.end === true || last.fatal === true, JSON.stringify(last));
    }
  }
});
