// Live mode (spec/conformance.md 10.5) against this package's own echo peer: every session
// vector (including the live-only deadline cases) and every decode vector that can be played
// over a session (FW-CNF-27), over real TCP connections, whole and one byte per write.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import net from 'node:net';
import { knownFailures } from './helpers.js';
import { createServer, createDecoder, preface, helloPayload, rawFrame, frameToWire, hexToBytes, bytesToHex, BY_NAME, BY_CODE, readU32 } from '../src/index.js';

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

/** @returns {any[]} */
function cases() {
  if (!existsSync(VECTORS)) return [];
  const out = [];
  for (const f of readdirSync(VECTORS).sort()) {
    if (!f.endsWith('.json') || f === 'schema.json') continue;
    const d = JSON.parse(readFileSync(join(VECTORS, f), 'utf8'));
    if (d && d.suite === 'framewire-vectors' && Array.isArray(d.cases)) out.push(...d.cases);
  }
  return out;
}

/** @type {Map<string, Promise<number>>} */
const servers = new Map();
/** @type {net.Server[]} */
const toClose = [];
after(() => Promise.all(toClose.map((s) => new Promise((r) => s.close(r)))));

/**
 * An echo peer (FW-CNF-25) for a configuration; returns its port.
 * @param {any} c
 */
function echoPort(c) {
  const key = JSON.stringify([c.framing, c.limits, c.deadlines ?? null]);
  let p = servers.get(key);
  if (p === undefined) {
    p = new Promise((resolve) => {
      const server = createServer(
        {
          framing: c.framing,
          maxFrameSize: c.limits.max_frame_size,
          maxMessageSize: c.limits.max_message_size,
          handshakeTimeout: c.deadlines?.handshake_ms ?? 10000,
          frameTimeout: c.deadlines?.frame_ms ?? 30000,
          lingerTimeout: 500,
          stream: false,
        },
        (s) => {
          s.on('message', (m) => s.send(m.type, m.payload, { flags: m.flags }));
          s.on('end', () => s.end());
          s.on('error', () => {});
        },
      );
      toClose.push(server);
      server.listen(0, '127.0.0.1', () => resolve(/** @type {net.AddressInfo} */ (server.address()).port));
    });
    servers.set(key, p);
  }
  return p;
}

/**
 * Play one input; returns everything the echo peer sent and whether it ended its output.
 * @param {number} port @param {Uint8Array} input @param {boolean} eof @param {boolean} bytewise @param {number} quietMs
 */
function play(port, input, eof, bytewise, quietMs) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    sock.setNoDelay(true);
    /** @type {Buffer[]} */
    const got = [];
    let ended = false;
    let reset = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ out: new Uint8Array(Buffer.concat(got)), ended, reset });
    };
    // quiet: no byte for quietMs, counted from the peer's first bytes (its preface and
    // HELLO come at once, FW-SES-1), so that a slow first connection is not taken for silence
    let timer = setTimeout(finish, 5000);
    sock.on('data', (d) => {
      got.push(d);
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    });
    sock.on('end', () => {
      ended = true;
      finish();
    });
    sock.on('error', () => {
      reset = true;
      finish();
    });
    sock.on('connect', async () => {
      if (bytewise) {
        for (let i = 0; i < input.length && !sock.destroyed; i++) sock.write(input.subarray(i, i + 1));
      } else if (input.length) sock.write(input);
      if (eof) sock.end();
    });
  });
}

/**
 * Check what the echo peer sent (FW-CNF-29).
 * @param {any} c @param {{out: Uint8Array, ended: boolean, reset: boolean}} r
 * @param {{echoes: any[], pongs: string[], error: string | null, end: 'clean' | 'open' | 'error', peerError?: boolean}} want
 */
function check(c, r, want) {
  const pre = bytesToHex(preface(c.framing));
  assert.equal(bytesToHex(r.out.subarray(0, 8)), pre, 'preface');
  const d = createDecoder({ framing: c.framing, maxFrameSize: 2 ** 30, maxMessageSize: 0 });
  const evs = [...d.feed(r.out.subarray(8)), ...(r.ended ? d.end() : [])];
  const msgs = evs.filter((e) => e.kind === 'message');
  assert.ok(!evs.some((e) => e.kind === 'error'), `malformed output: ${JSON.stringify(evs.filter((e) => e.kind === 'error').map((e) => /** @type {any} */ (e).error.message))}`);
  const [hello, ...rest] = /** @type {any[]} */ (msgs);
  assert.equal(hello?.type, 1, 'HELLO first');
  /** @type {Record<number, number>} */
  const st = { 1: 1048576, 2: 16777216 };
  for (let i = 0; i < hello.payload.length; i += 6) st[(hello.payload[i] << 8) | hello.payload[i + 1]] = readU32(hello.payload, i + 2);
  assert.equal(st[1], c.limits.max_frame_size);
  assert.equal(st[2], c.limits.max_message_size);
  const echoes = rest.filter((m) => m.type >= 0x40).map((m) => ({ message: { type: m.type, flags: m.flags, payload: bytesToHex(m.payload) } }));
  const pongs = rest.filter((m) => m.type === 4).map((m) => bytesToHex(m.payload));
  const errors = rest.filter((m) => m.type === 2);
  if (want.end === 'error' || want.peerError) {
    // the echoes may stop early when the session fails (FW-CNF-29), but come in order
    assert.deepEqual(echoes, want.echoes.slice(0, echoes.length), 'echoes (a prefix)');
  } else {
    assert.deepEqual(echoes, want.echoes, 'echoes');
  }
  assert.deepEqual(pongs, want.pongs, 'pongs');
  if (want.error !== null) {
    assert.equal(errors.length, 1, 'one ERROR');
    assert.equal(rest.at(-1), errors[0], 'ERROR is the last frame');
    const code = (errors[0].payload[0] << 8) | errors[0].payload[1];
    assert.equal(BY_CODE.get(code)?.name, want.error, 'ERROR code');
  } else {
    assert.equal(errors.length, 0, 'no ERROR');
  }
  assert.equal(rest.filter((m) => m.type === 1 || m.type === 3).length, 0, 'no HELLO/PING from the echo peer');
  if (want.end === 'open') assert.ok(!r.ended, 'no end of input while the session is open');
  else assert.ok(r.ended, 'end of input');
  if (want.end === 'clean') assert.ok(!r.reset, 'no reset on a clean end');
}

const all = cases();

for (const c of all.filter((x) => x.kind === 'session')) {
  test(`live session ${c.id} ${c.framing}: ${c.description}`, { timeout: 20000 }, async () => {
    const port = await echoPort(c);
    const x = c.expect;
    const endKind = typeof x.end === 'string' ? x.end : 'error';
    const want = {
      echoes: x.events,
      pongs: x.sent.filter((/** @type {any} */ s) => 'pong' in s).map((/** @type {any} */ s) => s.pong),
      error: x.sent.find((/** @type {any} */ s) => 'error' in s)?.error ?? null,
      end: /** @type {'clean' | 'open' | 'error'} */ (endKind),
      peerError: typeof x.end === 'object' && 'peer_error' in x.end,
    };
    const dl = Math.max(c.deadlines?.handshake_ms ?? 0, c.deadlines?.frame_ms ?? 0);
    // an open end is judged by silence: leave a loaded machine time to send the preface
    const quiet = endKind === 'open' ? Math.max(1000, 3 * dl) : 5000;
    for (const bytewise of [false, true]) {
      const r = await play(port, hexToBytes(c.input), c.eof ?? true, bytewise, quiet);
      try {
        check(c, /** @type {any} */ (r), want);
      } catch (e) {
        /** @type {Error} */ (e).message = `[${bytewise ? 'bytes' : 'whole'}] ${/** @type {Error} */ (e).message}`;
        throw e;
      }
    }
  });
}

// decode vectors played over a session (FW-CNF-27)
const playable = all.filter(
  (x) =>
    x.kind === 'decode' &&
    (x.eof ?? true) &&
    !(x.hunting ?? false) &&
    (x.assemble ?? true) &&
    !x.expect.events.some((/** @type {any} */ e) => 'message' in e && e.message.type < 0x40),
);

test(`live: ${playable.length} decode vectors over a session`, { timeout: 120000 }, async () => {
  const failures = [];
  const known = knownFailures();
  for (const c of playable) {
    if (known.has(c.id)) continue; // checked (inverted) by vectors.test.js
    const port = await echoPort(c);
    const opening = frameToWire(rawFrame({ type: 1, payload: helloPayload(2 ** 30, 0) }), c.framing);
    const input = new Uint8Array([...preface(c.framing), ...opening, ...hexToBytes(c.input)]);
    const x = c.expect;
    const firstErr = x.events.findIndex((/** @type {any} */ e) => 'error' in e);
    const echoes = firstErr < 0 ? x.events : x.events.slice(0, firstErr);
    const errName = firstErr >= 0 ? x.events[firstErr].error : typeof x.end === 'object' ? x.end.error : null;
    const want = {
      echoes,
      pongs: [],
      error: errName !== null && BY_NAME.get(errName)?.errorFrame ? errName : null,
      end: /** @type {'clean' | 'error'} */ (errName === null ? 'clean' : 'error'),
    };
    for (const bytewise of input.length <= 400 ? [false, true] : [false]) {
      const r = await play(port, input, true, bytewise, 5000);
      try {
        check(c, /** @type {any} */ (r), want);
      } catch (e) {
        failures.push(`${c.id} [${bytewise ? 'bytes' : 'whole'}] ${c.description}: ${/** @type {Error} */ (e).message.split('\n')[0]}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});
