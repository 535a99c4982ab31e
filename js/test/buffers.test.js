// Receive memory that follows the traffic (FW-LEN-4, FW-LIM-4): idle sessions hold almost
// nothing after large messages, and an announced length allocates nothing by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createDecoder, createServer, open, preface, helloPayload, rawFrame, frameToWire } from '../src/index.js';
import { cat } from './helpers.js';

const MIB = 1 << 20;
const IDLE_LIMIT = 8 * 1024;
const GIB = 2 ** 30;

/**
 * Poll `condition` until it holds or `ms` pass (no fixed sleeps before assertions).
 * @param {() => boolean} condition @param {string} what @param {number} [ms]
 */
async function until(condition, what, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A server whose sessions echo every message; resolves with the server, its port and its sessions.
 * @param {import('../src/session.js').NetSessionOptions} options
 */
async function echoServer(options) {
  /** @type {import('../src/session.js').Session[]} */
  const sessions = [];
  const server = createServer(options, (s) => {
    sessions.push(s);
    s.on('message', (m) => s.send(m.type, m.payload, { flags: m.flags }));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const a = /** @type {net.AddressInfo} */ (server.address());
  return { server, port: a.port, sessions };
}

for (const [framing, maxFrameSize] of /** @type {const} */ ([
  ['length-prefixed', MIB],
  ['length-prefixed', 65536],
  ['delimited', MIB],
  ['delimited', 32768],
])) {
  test(`a burst of 1 MiB messages, then idle: the session holds at most 8 KiB (${framing}, frames of ${maxFrameSize} B)`, async () => {
    const { server, port, sessions } = await echoServer({ framing, maxFrameSize });
    const client = await open({ host: '127.0.0.1', port }, { framing });
    try {
      const count = 8;
      let echoed = 0;
      client.on('message', (m) => {
        assert.equal(m.payload.length, MIB);
        echoed++;
      });
      const payload = new Uint8Array(MIB).map((_, i) => i % 253);
      for (let i = 0; i < count; i++) client.send(0x40, payload);
      await until(() => echoed === count, 'the echoes');
      const [session] = sessions;
      // every message has been received, echoed and let go of: the connection is idle
      await until(() => !session.core.inFrame, 'the end of the last frame');
      assert.ok(session.core.heldBytes <= IDLE_LIMIT, `idle session holds ${session.core.heldBytes} bytes`);
      assert.ok(client.core.heldBytes <= IDLE_LIMIT, `idle client holds ${client.core.heldBytes} bytes`);
    } finally {
      client.destroy();
      await new Promise((r) => server.close(r));
    }
  });
}

test('a peer that announces a 1 GiB frame and stalls is given memory only for what it sent', async () => {
  const { server, port, sessions } = await echoServer({ maxFrameSize: GIB, maxMessageSize: 2 ** 32 - 1 });
  const sock = net.connect({ port, host: '127.0.0.1' });
  try {
    await new Promise((r) => sock.once('connect', r));
    sock.on('data', () => {});
    const header = frameToWire(rawFrame({ type: 0x40, flags: 0, payload: new Uint8Array(0) }), 'length-prefixed');
    header.set([0x40, 0, 0, 0], 5); // length 2^30, the payload never comes in full
    sock.write(cat(preface('length-prefixed'), frameToWire(rawFrame({ type: 1, flags: 0, payload: helloPayload(MIB, 0) }), 'length-prefixed'), header));
    await until(() => sessions.length === 1 && sessions[0].core.inFrame, 'the header to be decoded');
    const core = sessions[0].core;
    assert.equal(core.heldBytes, 0, 'nothing allocated from the header alone');
    let sent = 0;
    for (const size of [1000, 30000, 300000]) {
      sock.write(new Uint8Array(size));
      sent += size;
      await until(() => core.heldBytes >= 1000, 'the first payload bytes');
      assert.ok(core.heldBytes <= 16 * sent + 4096, `${core.heldBytes} bytes held after ${sent} received`);
    }
    assert.equal(core.state, 'OPEN');
  } finally {
    sock.destroy();
    await new Promise((r) => server.close(r));
  }
});

test('decoder: body memory grows with the bytes received, up to the frame, and is let go after it', () => {
  const d = createDecoder({ maxFrameSize: GIB, maxMessageSize: 0, pieces: true, assemble: false });
  const payload = new Uint8Array(3 * MIB + 5).map((_, i) => (i * 7) % 256);
  const wire = frameToWire(rawFrame({ type: 0x40, flags: 0, payload }), 'length-prefixed');
  assert.deepEqual(d.feed(wire.subarray(0, 9)), []);
  assert.equal(d.heldBytes, 0);
  /** @type {import('../src/decoder.js').DecoderEvent[]} */
  const events = [];
  let fed = 9;
  for (const step of [1, 100, 5000, 70000, 65536, 1 << 20]) {
    const end = Math.min(wire.length, fed + step);
    events.push(...d.feed(wire.subarray(fed, end)));
    fed = end;
    assert.ok(d.heldBytes <= 16 * (fed - 9) + 4096, `${d.heldBytes} held after ${fed - 9} payload bytes`);
  }
  events.push(...d.feed(wire.subarray(fed)));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'piece');
  assert.deepEqual(/** @type {{payload: Uint8Array}} */ (events[0]).payload, payload);
  assert.equal(d.heldBytes, 0);
});
