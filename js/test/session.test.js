import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import {
  SessionCore,
  preface,
  helloPayload,
  parseHello,
  errorPayload,
  rawFrame,
  frameToWire,
  encodeMessage,
  createServer,
  connect,
  open,
  FramewireError,
  LocalFailureError,
  PeerError,
  UsageError,
  bytesToHex,
  createDecoder,
} from '../src/index.js';
import { cat, hex, utf8 } from './helpers.js';

/** @param {'length-prefixed' | 'delimited'} framing @param {number} type @param {Uint8Array} payload @param {number} [flags] */
const frame = (framing, type, payload, flags = 0) => frameToWire(rawFrame({ type, flags, payload }), framing);

/** The other peer's opening: preface and HELLO. */
function opening(framing = /** @type {'length-prefixed' | 'delimited'} */ ('length-prefixed'), mf = 1048576, mm = 16777216) {
  return cat(preface(framing), frame(framing, 1, helloPayload(mf, mm)));
}

/**
 * Run a core over an input; collect what it sent (after its own preface+HELLO) as decoded frames.
 * @param {Uint8Array} input @param {{framing?: 'length-prefixed' | 'delimited', eof?: boolean, split?: number}} [o]
 */
function run(input, o = {}) {
  const framing = o.framing ?? 'length-prefixed';
  const core = new SessionCore({ framing });
  const own = cat(...core.takeOutput());
  /** @type {import('../src/session-core.js').SessionEvent[]} */
  const events = [];
  const step = o.split ?? input.length;
  for (let p = 0; p < input.length; p += Math.max(step, 1)) events.push(...core.receive(input.subarray(p, p + Math.max(step, 1))));
  if (o.eof ?? true) events.push(...core.receiveEnd());
  const out = cat(...core.takeOutput());
  const d = createDecoder({ framing, maxFrameSize: 2 ** 30, maxMessageSize: 0 });
  const sent = d.feed(out).map((e) => (e.kind === 'message' ? [e.type, bytesToHex(e.payload)] : e.kind));
  return { core, own, events, sent, kinds: events.map((e) => (e.kind === 'error' || e.kind === 'peer-error' ? `${e.kind}:${e.error.errorName}` : e.kind)) };
}

test('session core: own preface and HELLO first (FW-SES-1, FW-PRE-1)', () => {
  for (const framing of /** @type {const} */ (['length-prefixed', 'delimited'])) {
    const core = new SessionCore({ framing, maxFrameSize: 65536, maxMessageSize: 0 });
    const out = cat(...core.takeOutput());
    assert.deepEqual(out, cat(preface(framing), frame(framing, 1, helloPayload(65536, 0))));
  }
});

test('session core: the spec example B.6 (A to B), answered with a PONG', () => {
  const md = readFileSync(new URL('../../spec/examples.md', import.meta.url), 'utf8');
  const m = /```text title="example: session-a-to-b"\n([\s\S]*?)```/.exec(md);
  const input = hex(/** @type {RegExpExecArray} */ (m)[1]);
  for (const split of [1, 3, 7, input.length]) {
    const r = run(input, { split });
    assert.deepEqual(r.kinds, ['open', 'message', 'end'], `split ${split}`);
    assert.deepEqual(r.sent, [[4, '0000000000000001']]);
    assert.deepEqual(r.core.peer, { maxFrameSize: 65536, maxMessageSize: 1048576 });
  }
});

test('session core: bad preface fails at the first wrong byte, without ERROR (FW-PRE-2)', () => {
  const r = run(hex('8946'), { eof: false });
  assert.deepEqual(r.kinds, []);
  const bad = run(hex('89 46 58'), { eof: false });
  assert.deepEqual(bad.kinds, ['error:bad-preface']);
  assert.deepEqual(bad.sent, []);
  // a delimited peer talking to a length-prefixed one
  const d = run(opening('delimited'));
  assert.deepEqual(d.kinds, ['error:bad-preface']);
});

test('session core: handshake-incomplete (FW-PRE-3, FW-CLS-5)', () => {
  assert.deepEqual(run(hex('894657')).kinds, ['error:handshake-incomplete']);
  assert.deepEqual(run(preface('length-prefixed')).kinds, ['error:handshake-incomplete']);
  const o = opening();
  assert.deepEqual(run(o.subarray(0, o.length - 2)).kinds, ['error:handshake-incomplete']);
  assert.deepEqual(run(o.subarray(0, o.length - 2)).sent, []);
});

test('session core: unexpected-message (FW-HEL-1, FW-SES-6)', () => {
  const lp = 'length-prefixed';
  const data = frame(lp, 0x40, utf8('x'));
  const r = run(cat(preface(lp), data));
  assert.deepEqual(r.kinds, ['error:unexpected-message']);
  assert.deepEqual(r.sent, [[2, r.sent[0]?.[1]]]);
  assert.equal(String(r.sent[0]?.[1]).slice(0, 4), '012e'); // code 302
  assert.deepEqual(run(cat(preface(lp), frame(lp, 3, new Uint8Array(8)))).kinds, ['error:unexpected-message']);
  assert.deepEqual(run(cat(opening(), frame(lp, 1, helloPayload(1024, 0)))).kinds, ['open', 'error:unexpected-message']);
});

test('session core: in one chunk, each frame is checked against the state the frames before it left', () => {
  // the decoder stops after each control message, so that the session acts on it first
  for (const framing of /** @type {const} */ (['length-prefixed', 'delimited'])) {
    const data = frame(framing, 0x40, utf8('x'));
    const ping = frame(framing, 3, new Uint8Array(8));
    const again = frame(framing, 1, helloPayload(1024, 0));
    const r = run(cat(opening(framing), data, ping, data, again, data), { framing });
    assert.deepEqual(r.kinds, ['open', 'message', 'message', 'error:unexpected-message'], framing);
  }
});

test('session core: HELLO validation (FW-HEL-2..4)', () => {
  const lp = 'length-prefixed';
  const withHello = (/** @type {Uint8Array} */ p) => run(cat(preface(lp), frame(lp, 1, p)));
  assert.deepEqual(withHello(new Uint8Array(0)).core.peer, { maxFrameSize: 1048576, maxMessageSize: 16777216 });
  assert.deepEqual(withHello(hex('0001 00000100')).core.peer, { maxFrameSize: 256, maxMessageSize: 16777216 });
  assert.deepEqual(withHello(hex('0009 12345678 0002 00000000')).core.peer, { maxFrameSize: 1048576, maxMessageSize: 0 });
  for (const bad of ['00010000', '0001 000000ff', '0001 40000001', '0002 000000ff', '0001 00000100 0001 00000100']) {
    assert.deepEqual(withHello(hex(bad)).kinds, ['error:malformed-control'], bad);
  }
  assert.deepEqual(parseHello(hex('0002 ffffffff')), { maxFrameSize: 1048576, maxMessageSize: 2 ** 32 - 1, settings: new Map([[2, 2 ** 32 - 1]]) });
});

test('session core: ERROR from the peer (FW-ERR-3..5)', () => {
  const lp = 'length-prefixed';
  const r = run(cat(opening(), frame(lp, 2, errorPayload(305, 'out of memory'))));
  assert.deepEqual(r.kinds, ['open', 'peer-error:internal-error']);
  const pe = /** @type {any} */ (r.events[1]).error;
  assert.equal(pe.code, 305);
  assert.equal(pe.reason, 'out of memory');
  assert.equal(pe.remote, true);
  assert.deepEqual(r.sent, []); // no ERROR in reply
  // ERROR as the first frame, unknown code
  const u = run(cat(preface(lp), frame(lp, 2, errorPayload(4242, ''))));
  assert.deepEqual(u.kinds, ['peer-error:unknown-4242']);
  // malformed ERROR: no ERROR sent back
  for (const p of [hex('01'), hex('0064ff')]) {
    const m = run(cat(opening(), frame(lp, 2, p)));
    assert.deepEqual(m.kinds, ['open', 'error:malformed-control']);
    assert.deepEqual(m.sent, []);
  }
  // the reason is cut at 254 bytes, at a character boundary
  const long = errorPayload(100, 'é'.repeat(200));
  assert.equal(long.length, 2 + 254);
});

test('session core: PING, PONG (FW-PNG-1..3)', () => {
  const lp = 'length-prefixed';
  const ping = frame(lp, 3, hex('0102030405060708'));
  const r = run(cat(opening(), ping, frame(lp, 4, hex('0000000000000009'))));
  assert.deepEqual(r.kinds, ['open', 'end']); // unsolicited PONG ignored
  assert.deepEqual(r.sent, [[4, '0102030405060708']]);
  assert.deepEqual(run(cat(opening(), frame(lp, 3, hex('01')))).kinds, ['open', 'error:malformed-control']);
  assert.deepEqual(run(cat(opening(), frame(lp, 4, hex('01')))).kinds, ['open', 'error:malformed-control']);
  // our own PING, answered
  const core = new SessionCore();
  core.takeOutput();
  core.receive(opening());
  const data = core.ping();
  const evs = core.receive(frame(lp, 4, data));
  assert.deepEqual(evs.map((e) => e.kind), ['pong']);
});

test('session core: data, limits, truncation, delimited framing', () => {
  for (const framing of /** @type {const} */ (['length-prefixed', 'delimited'])) {
    const msg = encodeMessage(framing, 0x41, new Uint8Array(3000).fill(2), { maxFrameSize: 1000, flags: 9 });
    const r = run(cat(opening(framing), msg, hex(framing === 'delimited' ? '00' : '')), { framing, split: 5 });
    assert.deepEqual(r.kinds, ['open', 'message', 'end']);
    const ev = /** @type {any} */ (r.events[1]);
    assert.equal(ev.payload.length, 3000);
    assert.equal(ev.flags, 9);
    const t = run(cat(opening(framing), msg.subarray(0, 1500)), { framing });
    assert.deepEqual(t.kinds, ['open', 'error:truncated-frame']);
    assert.deepEqual(t.sent, []); // no ERROR for truncated-frame
    const first = frame(framing, 0x40, utf8('a'), 0x02);
    assert.deepEqual(run(cat(opening(framing), first), { framing }).kinds, ['open', 'error:truncated-message']);
    // every error is fatal in a session, also in delimited framing (FW-DLM-9)
    const bad = frame(framing, 0x07, utf8(''));
    const f = run(cat(opening(framing), bad, frame(framing, 0x40, utf8('late'))), { framing });
    assert.deepEqual(f.kinds, ['open', 'error:reserved-type']);
    assert.equal(f.sent.length, 1);
  }
  // own limits enforced (FW-HEL-6)
  const core = new SessionCore({ maxFrameSize: 256, maxMessageSize: 300 });
  core.takeOutput();
  const evs = core.receive(cat(opening(), frame('length-prefixed', 0x40, new Uint8Array(257))));
  assert.deepEqual(evs.map((e) => (e.kind === 'error' ? e.error.errorName : e.kind)), ['open', 'frame-too-large']);
});

test('session core: sending (FW-SES-2, FW-HEL-5, FW-CLS-6, FW-SES-4)', () => {
  const core = new SessionCore();
  core.takeOutput();
  core.send(0x40, new Uint8Array(700)); // before the peer's HELLO: queued
  assert.equal(core.hasOutput, false);
  core.receive(opening('length-prefixed', 256, 1000));
  const out = cat(...core.takeOutput());
  assert.equal(out.length, 700 + 3 * 9); // split for the peer's MAX_FRAME_SIZE
  assert.throws(() => core.send(0x40, new Uint8Array(1001)), UsageError);
  assert.throws(() => core.send(0x20, new Uint8Array(1)), UsageError);
  core.end();
  assert.throws(() => core.send(0x40, new Uint8Array(1)), UsageError);
  const c2 = new SessionCore();
  c2.receive(hex('00'));
  assert.throws(() => c2.send(0x40, new Uint8Array(1)), FramewireError);
});

// ---- over real sockets ----

/**
 * An echo server on TCP or a Unix socket.
 * @param {import('../src/session.js').NetSessionOptions} options
 * @param {string} [path]
 * @returns {Promise<{server: net.Server, address: {port?: number, host?: string, path?: string}}>}
 */
function echoServer(options, path) {
  const server = createServer(options, (s) => {
    s.on('message', (m) => s.send(m.type, m.payload, { flags: m.flags }));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  return new Promise((resolve) => {
    const done = () => {
      const a = server.address();
      resolve({ server, address: typeof a === 'string' || a === null ? { path } : { host: '127.0.0.1', port: a.port } });
    };
    if (path) server.listen(path, done);
    else server.listen(0, '127.0.0.1', done);
  });
}

test('net: echo over TCP and a Unix socket, both framings, clean close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-'));
  try {
    for (const framing of /** @type {const} */ (['length-prefixed', 'delimited'])) {
      for (const unix of [false, true]) {
        const { server, address } = await echoServer({ framing, maxFrameSize: 4096 }, unix ? join(dir, `s-${framing}`) : undefined);
        const s = await open(address, { framing, checksum: true });
        assert.deepEqual(s.peer, { maxFrameSize: 4096, maxMessageSize: 16777216 });
        /** @type {Array<{type: number, flags: number, payload: Uint8Array}>} */
        const got = [];
        s.on('message', (m) => got.push(m));
        const big = new Uint8Array(100000).map((_, i) => i % 251);
        s.send(0x40, big, { flags: 3 });
        s.send(0x41, utf8('small'));
        s.send(0x42, new Uint8Array(0));
        const started = performance.now();
        const rtt = await s.pingMs();
        const elapsed = performance.now() - started;
        s.end();
        await new Promise((r) => s.once('close', () => r(null)));
        assert.equal(s.failure, null);
        assert.deepEqual(got.map((m) => [m.type, m.flags, m.payload.length]), [
          [0x40, 3, 100000],
          [0x41, 0, 5],
          [0x42, 0, 0],
        ]);
        assert.deepEqual(got[0].payload, big);
        assert.throws(() => s.send(0x40, utf8('late')), UsageError);
        await new Promise((r) => server.close(r));
        assert.ok(rtt > 0 && rtt <= elapsed, `round trip ${rtt} ms, ${elapsed} ms elapsed`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('net: pause() stops reading the socket until resume(), and paused says so', async () => {
  const { server, address } = await echoServer({});
  const s = await open(address, {});
  assert.equal(s.paused, false);
  s.pause();
  assert.equal(s.paused, true);
  assert.equal(s.socket.isPaused(), true);
  s.send(0x40, utf8('held'));
  s.resume();
  assert.equal(s.paused, false);
  assert.equal(s.socket.isPaused(), false);
  const echoed = await s.receive({ timeout: 5000 });
  assert.deepEqual(new Uint8Array(echoed?.payload ?? []), utf8('held'));
  s.end();
  await new Promise((r) => s.once('close', () => r(null)));
  assert.equal(s.failure, null);
  await new Promise((r) => server.close(r));
});

test('net: a faulty peer gets an ERROR frame and a half-close (FW-SES-3)', async () => {
  const { server, address } = await echoServer({});
  const sock = net.connect({ port: /** @type {number} */ (address.port), host: '127.0.0.1', allowHalfOpen: true });
  /** @type {Buffer[]} */
  const chunks = [];
  sock.on('data', (c) => chunks.push(c));
  await new Promise((r) => sock.once('connect', r));
  sock.write(cat(opening(), hex('46570108400000000000'))); // reserved flag
  await new Promise((r) => sock.once('end', r));
  const d = createDecoder({});
  const all = cat(...chunks);
  assert.deepEqual(bytesToHex(all.subarray(0, 8)), bytesToHex(preface('length-prefixed')));
  const evs = d.feed(all.subarray(8));
  assert.deepEqual(evs.map((e) => (e.kind === 'message' ? e.type : e.kind)), [1, 2]);
  const err = /** @type {any} */ (evs[1]).payload;
  assert.equal((err[0] << 8) | err[1], 102);
  sock.end();
  sock.destroy();
  await new Promise((r) => server.close(r));
});

test('net: handshake deadline (FW-LIM-6) fails with timeout', async () => {
  const { server, address } = await echoServer({ handshakeTimeout: 100 });
  const sock = net.connect({ port: /** @type {number} */ (address.port), host: '127.0.0.1', allowHalfOpen: true });
  /** @type {Buffer[]} */
  const chunks = [];
  sock.on('data', (c) => chunks.push(c));
  await new Promise((r) => sock.once('connect', r));
  sock.write(preface('length-prefixed')); // and then nothing
  await new Promise((r) => sock.once('end', r));
  const evs = createDecoder({}).feed(cat(...chunks).subarray(8));
  const err = /** @type {any} */ (evs[1]).payload;
  assert.equal((err[0] << 8) | err[1], 304);
  sock.destroy();
  await new Promise((r) => server.close(r));
});

test('net: frame deadline (FW-LIM-6) and received ERROR surfaces as a remote error', async () => {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.write(cat(opening(), frame('length-prefixed', 2, errorPayload(203, 'too big'))));
    sock.end();
    sock.on('data', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(null)));
  const port = /** @type {net.AddressInfo} */ (server.address()).port;
  const s = await connect({ port }, {});
  /** @type {Error} */
  const e = await new Promise((r) => s.once('error', r));
  assert.ok(e instanceof PeerError);
  assert.equal(/** @type {FramewireError} */ (e).code, 203);
  assert.equal(/** @type {FramewireError} */ (e).remote, true);
  await new Promise((r) => s.once('close', () => r(null)));
  await new Promise((r) => server.close(r));

  const { server: srv, address } = await echoServer({ frameTimeout: 100 });
  const sock = net.connect({ port: /** @type {number} */ (address.port), host: '127.0.0.1', allowHalfOpen: true });
  /** @type {Buffer[]} */
  const chunks = [];
  sock.on('data', (c) => chunks.push(c));
  await new Promise((r) => sock.once('connect', r));
  sock.write(cat(opening(), hex('4657010040000000'))); // half a header, then nothing
  await new Promise((r) => sock.once('end', r));
  const evs = createDecoder({}).feed(cat(...chunks).subarray(8));
  const err = /** @type {any} */ (evs[1]).payload;
  assert.equal((err[0] << 8) | err[1], 304);
  sock.destroy();
  await new Promise((r) => srv.close(r));
});

test('net: awaitable receive with a deadline (FW-LIM-7) leaves the connection usable', async () => {
  const { ReceiveTimeout } = await import('../src/index.js');
  const { server, address } = await echoServer({});
  const s = await open(address, {});
  await assert.rejects(s.receive({ timeout: 50 }), ReceiveTimeout);
  s.send(0x40, utf8('after the deadline'));
  const m = await s.receive({ timeout: 2000 });
  assert.equal(new TextDecoder().decode(m?.payload), 'after the deadline');
  s.end();
  assert.equal(await s.receive(), null); // clean end
  await new Promise((r) => s.once('close', () => r(null)));
  await new Promise((r) => server.close(r));
});

test('net: a PONG that does not come fails the connection with timeout (FW-PNG-4)', async () => {
  // a peer that handshakes and then never answers
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.write(opening());
    sock.on('data', () => {});
    sock.on('end', () => sock.end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(null)));
  const port = /** @type {net.AddressInfo} */ (server.address()).port;
  const s = await open({ port }, {});
  s.on('error', () => {});
  await assert.rejects(s.pingMs(undefined, { timeout: 100 }), (e) => e instanceof LocalFailureError && e.errorName === 'timeout');
  assert.throws(() => s.send(0x40, utf8('x')), FramewireError); // FW-SES-4
  await new Promise((r) => (s.closed ? r(null) : s.once('close', () => r(null))));
  await new Promise((r) => server.close(r));
});

test('session core: stream mode delivers pieces (FW-MSG-15, FW-LIM-5) and sendPiece streams out', () => {
  const lp = 'length-prefixed';
  const core = new SessionCore({ maxMessageSize: 0 }); // no limit: streams by default
  assert.equal(core.streaming, true);
  core.takeOutput();
  const msg = encodeMessage(lp, 0x41, new Uint8Array(600).fill(5), { maxFrameSize: 256, flags: 2 });
  const evs = core.receive(cat(opening(lp, 256, 0), msg));
  assert.deepEqual(
    evs.map((e) => (e.kind === 'piece' ? [e.type, e.flags, e.payload.length, e.first, e.last] : e.kind)),
    ['open', [0x41, 2, 256, true, false], [0x41, 2, 256, false, false], [0x41, 2, 88, false, true]],
  );
  // streaming out: pieces split for the peer's MAX_FRAME_SIZE (256)
  core.sendPiece(0x42, new Uint8Array(300), { flags: 1, first: true });
  assert.throws(() => core.send(0x40, new Uint8Array(1)), UsageError); // FW-MSG-5
  assert.throws(() => core.end(), UsageError); // FW-CLS-1: finish the message first
  core.sendPiece(0x42, new Uint8Array(0), { flags: 1, last: true });
  const out = cat(...core.takeOutput());
  const d = createDecoder({ maxFrameSize: 2 ** 30, maxMessageSize: 0, pieces: true });
  const got = d.feed(out).map((e) => (e.kind === 'piece' ? [e.payload.length, e.first, e.last] : e.kind === 'message' ? ['m', e.payload.length] : e.kind));
  assert.deepEqual(got, [
    [256, true, false],
    [44, false, false],
    [0, false, true],
    ['m', 300],
  ]);
  core.end();
});

test('net: streaming receive with pieces over a socket', async () => {
  const { server, address } = await echoServer({ streaming: false, maxMessageSize: 0 });
  const s = await open(address, { maxMessageSize: 0 }); // streams
  /** @type {Array<[number, boolean, boolean]>} */
  const pieces = [];
  s.on('piece', (p) => pieces.push([p.payload.length, p.first, p.last]));
  s.sendPiece(0x40, new Uint8Array(2000), { first: true });
  s.sendPiece(0x40, new Uint8Array(10), { last: true });
  s.end();
  await new Promise((r) => s.once('close', () => r(null)));
  assert.equal(s.failure, null);
  assert.equal(pieces.reduce((a, p) => a + p[0], 0), 2010);
  assert.equal(pieces[0][1], true);
  assert.equal(pieces.at(-1)?.[2], true);
  await new Promise((r) => server.close(r));
});

test('session core: after the peer\'s ERROR, valid or malformed, only owed PONGs go out (FW-ERR-3, FW-ERR-4, FW-PNG-6)', () => {
  const lp = 'length-prefixed';
  for (const payload of [errorPayload(97, ''), new Uint8Array(0), hex('0064ff')]) {
    const core = new SessionCore({ framing: lp });
    core.takeOutput();
    core.receive(opening());
    core.send(0x40, utf8('not started'));
    core.receive(cat(frame(lp, 3, utf8('pingpong')), frame(lp, 2, payload)));
    const d = createDecoder({ framing: lp, maxFrameSize: 2 ** 30, maxMessageSize: 0 });
    const sent = d.feed(cat(...core.takeOutput())).map((e) => (e.kind === 'message' ? [e.type, bytesToHex(e.payload)] : e.kind));
    assert.deepEqual(sent, [[4, bytesToHex(utf8('pingpong'))]], bytesToHex(payload));
  }
});
