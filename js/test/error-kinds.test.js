// Each error class means one thing, with the Python implementation's names (FW-ERR-7):
// the peer broke the protocol (RemoteProtocolError), this side failed the connection
// (LocalFailureError: a deadline of ours, or fail()), the peer sent ERROR (PeerError).
// Over a socket: session.test.js (a PONG that does not come, a received ERROR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as framewire from '../src/index.js';
import { SessionCore, preface, helloPayload, errorPayload, rawFrame, frameToWire } from '../src/index.js';
import { cat } from './helpers.js';

const { FramewireError, UsageError, TransportError, ProtocolError, RemoteProtocolError, LocalFailureError, PeerError } =
  framewire;

/** @param {number} type @param {Uint8Array} payload */
const frame = (type, payload) => frameToWire(rawFrame({ type, flags: 0, payload }), 'length-prefixed');
const opening = () => cat(preface('length-prefixed'), frame(1, helloPayload(1048576, 16777216)));

/** @param {SessionCore} core @param {Uint8Array} input */
function failureOf(core, input) {
  const ev = core.receive(input).find((e) => e.kind === 'error' || e.kind === 'peer-error');
  assert.ok(ev !== undefined, 'the session failed');
  return /** @type {{error: Error}} */ (ev).error;
}

test('errors: the classes are one kind each, with the Python names', () => {
  for (const kind of [RemoteProtocolError, LocalFailureError]) {
    assert.equal(typeof kind, 'function');
    assert.ok(kind.prototype instanceof ProtocolError);
    assert.ok(kind.prototype instanceof FramewireError);
  }
  assert.ok(!(LocalFailureError.prototype instanceof RemoteProtocolError));
  assert.ok(!(RemoteProtocolError.prototype instanceof LocalFailureError));
  assert.ok(PeerError.prototype instanceof FramewireError);
  assert.ok(!(PeerError.prototype instanceof ProtocolError));
  for (const kind of [UsageError, TransportError]) assert.ok(!(kind.prototype instanceof FramewireError));
});

test('errors: fail() is our own failure, not the peer\'s fault', () => {
  const core = new SessionCore({});
  const ev = core.fail('internal-error', 'the database is down').find((e) => e.kind === 'error');
  const error = /** @type {{error: Error}} */ (ev).error;
  assert.ok(error instanceof LocalFailureError);
  assert.ok(!(error instanceof RemoteProtocolError));
  assert.equal(/** @type {any} */ (error).errorName, 'internal-error');
});

test('errors: a fault of the peer\'s bytes is a RemoteProtocolError; its ERROR a PeerError', () => {
  const bad = failureOf(new SessionCore({}), new TextEncoder().encode('GET / HTTP/1.1\r\n'));
  assert.ok(bad instanceof RemoteProtocolError);
  assert.equal(/** @type {any} */ (bad).errorName, 'bad-preface');
  const refused = failureOf(new SessionCore({}), cat(opening(), frame(2, errorPayload(305, 'no'))));
  assert.ok(refused instanceof PeerError);
  assert.ok(!(refused instanceof ProtocolError));
  assert.equal(/** @type {any} */ (refused).remote, true);
});
