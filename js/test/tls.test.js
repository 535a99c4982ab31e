// Sessions over node:tls (spec section 12), with the certificates the Python tests make
// with trustme: tests/js/test_tls_js.py writes them to a folder and runs this file with
// FRAMEWIRE_TLS_DIR set to it. Without it (a plain `npm test`), these tests are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { createServer, open, ALPN_PROTOCOL, TlsError, tlsError } from '../src/index.js';

const dir = process.env.FRAMEWIRE_TLS_DIR;
const skip = dir === undefined ? 'FRAMEWIRE_TLS_DIR is not set (tests/js/test_tls_js.py sets it)' : false;
/** @param {string} name */
const pem = (name) => readFileSync(join(/** @type {string} */ (dir), name));

/**
 * A TLS echo-after-end server: collects every message to the client's close_notify, then
 * sends them back and ends (FW-CLS-3). Resolves with its address and what it saw.
 */
async function echoAfterEnd() {
  /** @type {{errors: Error[], received: Uint8Array[]}} */
  const seen = { errors: [], received: [] };
  const server = createServer({ tls: { cert: pem('server.pem'), key: pem('server.key') } }, (session) => {
    session.on('message', (m) => seen.received.push(m.payload));
    session.on('end', () => {
      for (const payload of seen.received) session.send(0x40, payload);
      session.end();
    });
    session.on('error', (e) => seen.errors.push(e));
  });
  server.on('tlsClientError', (e) => seen.errors.push(tlsError(e, 'accepting')));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(null)));
  const a = /** @type {net.AddressInfo} */ (server.address());
  return { server, seen, address: { host: '127.0.0.1', port: a.port } };
}

/** @param {import('../src/session.js').Session} session @returns {Promise<Uint8Array[]>} */
async function receiveAll(session) {
  const out = [];
  for (;;) {
    const m = await session.receive();
    if (m === null) return out;
    out.push(m.payload);
  }
}

test('an exchange over TLS ends cleanly in both directions', { skip }, async () => {
  const { server, seen, address } = await echoAfterEnd();
  try {
    const session = await open(address, { tls: { ca: pem('ca.pem'), servername: 'localhost' } });
    assert.equal(/** @type {any} */ (session.socket).alpnProtocol, ALPN_PROTOCOL);
    const payloads = [new Uint8Array(0), new TextEncoder().encode('hello'), new Uint8Array(200000).fill(7)];
    for (const p of payloads) session.send(0x40, p);
    session.end(); // close_notify: the server still answers
    const bytes = (/** @type {Uint8Array[]} */ list) => list.map((p) => Buffer.from(p));
    assert.deepEqual(bytes(await receiveAll(session)), bytes(payloads));
    await new Promise((resolve) => (session.closed ? resolve(null) : session.once('close', () => resolve(null))));
    assert.equal(session.failure, null);
    assert.deepEqual(seen.errors, []);
  } finally {
    server.close();
  }
});

test('an untrusted certificate fails with one TlsError line', { skip }, async () => {
  // (Node checks the certificate after the TLS handshake and then closes without an alert,
  // so the server learns nothing more than a connection that ended before the HELLO.)
  const { server, address } = await echoAfterEnd();
  try {
    await assert.rejects(open(address, { tls: { ca: pem('other-ca.pem') } }), (e) => {
      assert.ok(e instanceof TlsError);
      assert.match(e.message, /^TLS handshake failed while connecting: the peer's certificate was rejected/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  } finally {
    server.close();
  }
});

test('a hostname mismatch fails with one TlsError line', { skip }, async () => {
  const { server, address } = await echoAfterEnd();
  try {
    await assert.rejects(open(address, { tls: { ca: pem('ca.pem'), servername: 'example.org' } }), (e) => {
      assert.ok(e instanceof TlsError);
      assert.match(e.message, /certificate was rejected: .*example\.org/);
      return true;
    });
  } finally {
    server.close();
  }
});

test('a TLS client on a plain server: the peer does not speak TLS', { skip }, async () => {
  const plain = createServer({}, () => {});
  await new Promise((resolve) => plain.listen(0, '127.0.0.1', () => resolve(null)));
  const port = /** @type {net.AddressInfo} */ (plain.address()).port;
  try {
    await assert.rejects(open({ host: '127.0.0.1', port }, { tls: { ca: pem('ca.pem') } }), (e) => {
      assert.ok(e instanceof TlsError);
      assert.match(e.message, /does not speak TLS/);
      return true;
    });
  } finally {
    plain.close();
  }
});

test('a plain client on a TLS server fails, and the server says why', { skip }, async () => {
  const { server, seen, address } = await echoAfterEnd();
  try {
    await assert.rejects(open(address, { handshakeTimeout: 2000 }));
    await waitFor(() => seen.errors.length > 0);
    assert.match(seen.errors[0].message, /does not speak TLS/);
  } finally {
    server.close();
  }
});

/** Poll until `ready()` or 5 s pass. @param {() => boolean} ready */
async function waitFor(ready) {
  const deadline = Date.now() + 5000;
  while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
