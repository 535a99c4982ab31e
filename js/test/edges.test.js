// The edges of a connection's life: what is sent after the peer's malformed ERROR, ping
// promises that must all settle, and an application listener that throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { SessionCore, preface, helloPayload, rawFrame, frameToWire, createServer, open, FramewireError } from '../src/index.js';
import { cat, hex, utf8 } from './helpers.js';

/** @typedef {'length-prefixed' | 'delimited'} Framing */
/** @type {Framing[]} */
const FRAMINGS = ['length-prefixed', 'delimited'];

/** @param {Framing} framing @param {number} type @param {Uint8Array} payload */
const frame = (framing, type, payload) => frameToWire(rawFrame({ type, flags: 0, payload }), framing);

/** @param {Framing} framing the other peer's preface and HELLO */
const opening = (framing) => cat(preface(framing), frame(framing, 1, helloPayload(1048576, 16777216)));

/** @param {import('../src/session-core.js').SessionEvent[]} events */
const kinds = (events) => events.map((e) => (e.kind === 'error' || e.kind === 'peer-error' ? `${e.kind}:${e.error.errorName}` : e.kind));

/**
 * How a promise stands after `ms`: 'fulfilled', 'rejected' or still 'pending'.
 * @param {Promise<unknown>} promise @param {number} ms
 * @returns {Promise<'fulfilled' | 'rejected' | 'pending'>}
 */
function outcomeWithin(promise, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const pending = new Promise((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  const settled = promise.then(
    () => 'fulfilled',
    () => 'rejected',
  );
  return /** @type {Promise<'fulfilled' | 'rejected' | 'pending'>} */ (Promise.race([settled, pending]).finally(() => clearTimeout(timer)));
}

/** @param {net.Server} server */
function addressOf(server) {
  const a = /** @type {net.AddressInfo} */ (server.address());
  return { host: '127.0.0.1', port: a.port };
}

// ---- FW-ERR-4: nothing more is sent after the peer's malformed ERROR ----

test('session core: frames queued with send() are not sent after a malformed ERROR (FW-ERR-4)', () => {
  for (const framing of FRAMINGS) {
    for (const malformed of [hex('01'), hex('0064ff')]) {
      const core = new SessionCore({ framing });
      core.takeOutput();
      core.receive(opening(framing));
      // queued, not yet taken by the I/O layer (a socket that has not drained, say)
      core.send(0x40, utf8('queued'));
      core.send(0x41, new Uint8Array(100000).fill(7));
      core.ping(hex('0102030405060708'));
      const events = core.receive(frame(framing, 2, malformed));
      assert.deepEqual(kinds(events), ['error:malformed-control']);
      assert.equal(core.failedByPeer, true);
      assert.deepEqual(core.takeOutput(), [], `${framing}, ERROR payload ${Buffer.from(malformed).toString('hex')}`);
      assert.equal(core.hasOutput, false);
      assert.throws(() => core.send(0x40, utf8('late')), FramewireError);
    }
  }
});

test('session core: a reply queued for a message before a malformed ERROR in the same chunk is not sent (FW-ERR-4)', () => {
  for (const framing of FRAMINGS) {
    const core = new SessionCore({ framing });
    core.takeOutput();
    core.receive(opening(framing));
    /** @type {string[]} */
    const seen = [];
    core.receive(cat(frame(framing, 0x40, utf8('echo me')), frame(framing, 2, hex('01'))), (ev) => {
      seen.push(ev.kind);
      if (ev.kind === 'message') core.send(ev.type, ev.payload);
    });
    assert.deepEqual(seen, ['message', 'error']);
    assert.deepEqual(core.takeOutput(), [], framing);
  }
});

// ---- every ping promise settles ----

test('session core: two PINGs with the same data each get their PONG event', () => {
  const core = new SessionCore();
  core.takeOutput();
  core.receive(opening('length-prefixed'));
  const data = hex('0000000000000042');
  core.ping(data);
  core.ping(data);
  const pong = frame('length-prefixed', 4, data);
  assert.deepEqual(kinds(core.receive(pong)), ['pong']);
  assert.deepEqual(kinds(core.receive(pong)), ['pong']);
  assert.deepEqual(kinds(core.receive(pong)), []); // a third is unsolicited (FW-PNG-3)
});

/**
 * A peer that completes the handshake and then never answers (no PONG, no end).
 * @returns {Promise<{server: net.Server, sockets: net.Socket[]}>}
 */
async function silentPeer() {
  /** @type {net.Socket[]} */
  const sockets = [];
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    sock.resume();
    sock.write(opening('length-prefixed'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, sockets };
}

test('net: two pingMs() calls with the same data both resolve on their PONGs', async () => {
  const server = createServer({}, (s) => {
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const s = await open(addressOf(server));
  const data = hex('0000000000000007');
  const first = s.pingMs(data);
  const second = s.pingMs(data);
  assert.deepEqual(await Promise.all([outcomeWithin(first, 5000), outcomeWithin(second, 5000)]), ['fulfilled', 'fulfilled']);
  s.end();
  await once(s, 'close');
  await new Promise((r) => server.close(r));
});

test('net: pingMs() resolves with the round trip in milliseconds (Python\'s ping() gives seconds)', async () => {
  // the server reads nothing for a while, so the PING waits in its kernel buffer: the round
  // trip is long enough that a value in seconds could not pass for one in milliseconds
  const HOLD_MS = 300;
  const server = createServer({}, (s) => {
    s.pause();
    setTimeout(() => s.resume(), HOLD_MS);
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const s = await open(addressOf(server));
  const started = performance.now();
  const rtt = await s.pingMs();
  const elapsed = performance.now() - started;
  s.end();
  await once(s, 'close');
  await new Promise((r) => server.close(r));
  assert.ok(rtt > elapsed / 2 && rtt <= elapsed + 1, `pingMs() gave ${rtt} for a round trip of ${elapsed} ms`);
});

test('net: every pending pingMs() promise rejects on destroy(), and a pingMs() after close rejects', async () => {
  const { server, sockets } = await silentPeer();
  const s = await open(addressOf(server));
  const data = hex('0000000000000007');
  const pings = [s.pingMs(data), s.pingMs(data), s.pingMs(), s.pingMs(data, { timeout: 60000 })];
  s.destroy();
  const outcomes = await Promise.all(pings.map((p) => outcomeWithin(p, 3000)));
  assert.deepEqual(outcomes, ['rejected', 'rejected', 'rejected', 'rejected']);
  assert.equal(s.closed, true);
  assert.equal(await outcomeWithin(s.pingMs(data), 1000), 'rejected');
  for (const sock of sockets) sock.destroy();
  await new Promise((r) => server.close(r));
});

test('net: every pending pingMs() promise rejects when the connection fails', async () => {
  const { server, sockets } = await silentPeer();
  const s = await open(addressOf(server));
  s.on('error', () => {});
  const data = hex('0000000000000009');
  const pings = [s.pingMs(data), s.pingMs(data)];
  s.fail('internal-error', 'giving up');
  assert.deepEqual(await Promise.all(pings.map((p) => outcomeWithin(p, 3000))), ['rejected', 'rejected']);
  for (const sock of sockets) sock.destroy();
  await new Promise((r) => server.close(r));
});

test('net: fail(code, detail) sends that code and detail in the ERROR, as Python\'s channel.fail(code, detail) (FW-ERR-6, FW-PNG-4)', async () => {
  const server = createServer({}, (/** @type {import('../src/session.js').Session} */ s) => {
    s.on('error', () => {});
    s.on('open', () => s.fail('timeout', 'no PONG in time'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = await open(addressOf(server));
  const error = /** @type {FramewireError} */ (await client.receive({ timeout: 5000 }).then(() => assert.fail('expected the ERROR'), (e) => e));
  assert.equal(error.errorName, 'timeout');
  assert.equal(error.remote, true);
  assert.match(error.reason, /no PONG in time/);
  await new Promise((r) => server.close(r));
});

test('net: fail() takes the code first: a reason in its place is a usage error that fails nothing', async () => {
  const { server, sockets } = await silentPeer();
  const s = await open(addressOf(server));
  assert.throws(() => s.fail('giving up'), /fail\(code, detail\)/);
  assert.equal(s.failure, null);
  s.destroy();
  for (const sock of sockets) sock.destroy();
  await new Promise((r) => server.close(r));
});

// ---- FW-ERR-6: a listener that throws costs its own connection only ----

const SECRET = 'secret detail of the application';

/**
 * A server whose listeners throw (or reject) for the messages 'throw' and 'reject', and
 * echo every other; `failures` collects what each server-side session reports.
 */
async function touchyServer() {
  /** @type {Error[]} */
  const failures = [];
  const server = createServer({}, (s) => {
    s.on('message', (m) => {
      const text = new TextDecoder().decode(m.payload);
      if (text === 'throw') throw new Error(SECRET);
      if (text !== 'reject') s.send(m.type, m.payload);
    });
    s.on('message', async (m) => {
      await Promise.resolve();
      if (new TextDecoder().decode(m.payload) === 'reject') throw new Error(SECRET);
    });
    s.on('end', () => s.end());
    s.on('error', (e) => failures.push(e));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, failures };
}

/** @param {import('../src/session.js').Session} s @param {string} text */
async function echo(s, text) {
  s.send(0x40, utf8(text));
  const reply = await s.receive({ timeout: 5000 });
  return new TextDecoder().decode(reply?.payload);
}

for (const trigger of ['throw', 'reject']) {
  test(`net: a 'message' listener that ${trigger}s fails its own connection with internal-error; another client keeps working (FW-ERR-6)`, async () => {
    const { server, failures } = await touchyServer();
    const victim = await open(addressOf(server));
    const bystander = await open(addressOf(server));
    assert.equal(await echo(bystander, 'before'), 'before');
    victim.send(0x40, utf8(trigger));
    const error = /** @type {FramewireError} */ (await victim.receive({ timeout: 5000 }).then(() => assert.fail('expected the ERROR'), (e) => e));
    assert.ok(error instanceof FramewireError);
    assert.equal(error.errorName, 'internal-error');
    assert.equal(error.remote, true);
    assert.ok(!error.reason.includes('secret'), error.reason);
    assert.match(error.reason, /listener/);
    await once(victim, 'close');
    assert.equal(await echo(bystander, 'after'), 'after');
    bystander.end();
    await once(bystander, 'close');
    assert.equal(bystander.failure, null);
    // the server's session reports the exception as the cause of its internal-error
    assert.equal(failures.length, 1);
    const local = /** @type {FramewireError} */ (failures[0]);
    assert.equal(local.errorName, 'internal-error');
    assert.equal(local.remote, false);
    assert.equal(/** @type {Error} */ (local.cause).message, SECRET);
    await new Promise((r) => server.close(r));
  });
}

test('net: a createServer session callback that throws fails that connection with internal-error (FW-ERR-6)', async () => {
  let calls = 0;
  const server = createServer({}, (s) => {
    s.on('error', () => {});
    calls += 1;
    if (calls === 1) throw new Error(SECRET);
    s.on('message', (m) => s.send(m.type, m.payload));
    s.on('end', () => s.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const victim = await open(addressOf(server)).then(
    (s) => s.receive({ timeout: 5000 }).then(() => assert.fail('expected the ERROR'), (e) => e),
    (e) => e,
  );
  assert.ok(victim instanceof FramewireError, String(victim));
  assert.equal(victim.errorName, 'internal-error');
  assert.ok(!victim.reason.includes('secret'), victim.reason);
  const bystander = await open(addressOf(server));
  assert.equal(await echo(bystander, 'still here'), 'still here');
  bystander.end();
  await once(bystander, 'close');
  await new Promise((r) => server.close(r));
});
