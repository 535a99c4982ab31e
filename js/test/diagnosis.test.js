// The commonest mistakes are named in the error text (as in the Python implementation):
// a peer of the other framing, a TLS or HTTP client, a peer that sends nothing, a frame
// over the announced limit. Registry codes stay the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionCore, preface, helloPayload } from '../src/session-core.js';
import { createDecoder } from '../src/codec.js';
import { frameToWire, rawFrame } from '../src/frame.js';

/**
 * The error a fresh session core fails with after receiving `input` (in one piece, or byte by byte).
 * @param {Uint8Array} input @param {'length-prefixed' | 'delimited'} framing @param {boolean} [byteByByte]
 */
function failure(input, framing = 'length-prefixed', byteByByte = false) {
  const core = new SessionCore({ framing });
  core.takeOutput();
  const pieces = byteByByte ? [...input].map((b) => Uint8Array.of(b)) : [input];
  const events = pieces.flatMap((piece) => core.receive(piece));
  const error = events.find((e) => e.kind === 'error');
  assert.ok(error !== undefined && error.kind === 'error', 'no error event');
  return error.error;
}

test('a framing mismatch names both framings, whatever the split', () => {
  for (const byteByByte of [false, true]) {
    const error = failure(preface('delimited'), 'length-prefixed', byteByByte);
    assert.equal(error.code, 300);
    assert.equal(error.statement, 'FW-PRE-2');
    assert.match(error.message, /framing mismatch: the peer uses delimited framing, this side length-prefixed/);
    assert.match(error.message, /preface byte 4 is 0x44, expected 0x4c/);
  }
});

test('a TLS client and an HTTP client are recognised', () => {
  const tls = failure(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01));
  assert.match(tls.message, /the peer sent a TLS handshake/);
  const http = failure(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
  assert.match(http.message, /the peer sent an HTTP request \(GET\)/);
  assert.equal(http.code, 300);
});

test('a handshake timeout says the peer sent nothing, and names the statement once', () => {
  const core = new SessionCore({});
  core.takeOutput();
  const events = core.fail('timeout', 'handshake deadline expired');
  const error = events.find((e) => e.kind === 'error');
  assert.ok(error !== undefined && error.kind === 'error');
  assert.match(error.error.message, /the peer sent nothing/);
  assert.equal(error.error.message.split('FW-LIM-6').length - 1, 1);
});

test('a frame over the announced limit says both sizes', () => {
  const decoder = createDecoder({ framing: 'length-prefixed', maxFrameSize: 65536, maxMessageSize: 0 });
  const header = rawFrame({ type: 0x40, length: 1048576 }); // the header alone
  const error = decoder.feed(header).find((e) => e.kind === 'error');
  assert.ok(error !== undefined && error.kind === 'error');
  assert.equal(error.error.code, 105);
  assert.match(error.error.message, /1048576 bytes \(1 MiB\) is larger than this side's MAX_FRAME_SIZE 65536 \(64 KiB\)/);
});

test('a message over the peer\'s limit says what the peer announced', () => {
  const core = new SessionCore({});
  core.takeOutput();
  core.receive(preface('length-prefixed'));
  core.receive(frameToWire(rawFrame({ type: 1, flags: 0, payload: helloPayload(16384, 65536) }), 'length-prefixed'));
  assert.throws(() => core.send(0x40, new Uint8Array(1 << 20)), /the peer announced MAX_MESSAGE_SIZE 65536 \(64 KiB\); this message needs 1048576 bytes \(1 MiB\)/);
});
