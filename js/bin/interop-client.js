#!/usr/bin/env node
// Interop client: one Framewire session against another implementation's server, driven by
// a script of messages, reporting what it received as JSON. Used by tests/js/test_interop_js.py
// to check the JavaScript and Python implementations against each other over real sockets.
//
//   node bin/interop-client.js (--port N [--host H] | --unix PATH) --messages FILE
//        [--framing length-prefixed|delimited] [--max-frame-size N] [--max-message-size N]
//        [--pretend-peer-max-frame-size N] [--pretend-peer-max-message-size N]
//        [--deadline MS] [--tls --cafile PEM [--server-name NAME]]
//
// FILE is a JSON array of {type, flags, checksum, payload (base64)}. The client opens the
// session, checks liveness with one PING, sends every message in order, half-closes, and
// collects what arrives until the connection is closed. It prints one JSON object on
// stdout:
//
//   {"peer": {"maxFrameSize", "maxMessageSize"},   the limits of the peer's HELLO
//    "pingMs": number,
//    "received": [{"type", "flags", "size", "sha256"}, ...],   data messages, in order
//    "cleanEnd": boolean,                          the peer half-closed at a clean boundary
//    "sendError": null | string,                   a send() the session refused
//    "failure": null | {"code", "name", "remote", "reason", "transport", "message"}}
//
// --pretend-peer-* makes this a deliberately misconfigured sender: after the handshake it
// replaces the limits the peer announced with these, so it sends frames or messages the
// peer said it does not accept (to test that the peer refuses them with an ERROR).
// Exit status 0 when the report was written, 2 on a usage error, 3 when --deadline passed.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { open } from '../src/session.js';
import { FramewireError, TransportError } from '../src/errors.js';
import { HELP_OPTION, parseCommandLine } from './command-line.js';

const HELP = `usage: interop-client (--port N [--host H] | --unix PATH) --messages FILE [options]

One Framewire session against another implementation's server, driven by FILE (a JSON
array of {type, flags, checksum, payload (base64)}); prints one JSON report on stdout.

options:
  --framing F                        length-prefixed (default) or delimited
  --max-frame-size N                 largest frame accepted
  --max-message-size N               largest message accepted
  --pretend-peer-max-frame-size N    after the handshake, send as if the peer took N
  --pretend-peer-max-message-size N  likewise for the message size
  --deadline MS                      give up after MS milliseconds (default 15000)
  -h, --help                         show this help and exit

exit status: 0 report written, 2 usage error, 3 deadline passed
`;

const { values } = parseCommandLine('interop-client', HELP, () => parseArgs({
  options: {
    help: HELP_OPTION,
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    unix: { type: 'string' },
    messages: { type: 'string' },
    framing: { type: 'string', default: 'length-prefixed' },
    'max-frame-size': { type: 'string' },
    'max-message-size': { type: 'string' },
    'pretend-peer-max-frame-size': { type: 'string' },
    'pretend-peer-max-message-size': { type: 'string' },
    deadline: { type: 'string', default: '15000' },
    tls: { type: 'boolean', default: false },
    cafile: { type: 'string' },
    'server-name': { type: 'string' },
  },
}));

/** @param {string} text @returns {never} */
function usage(text) {
  process.stderr.write(`interop-client: ${text}\n`);
  process.exit(2);
}

/** @param {string | undefined} text @returns {number | undefined} */
function optionalInt(text) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) usage(`not a non-negative integer: ${text}`);
  return n;
}

if (values.messages === undefined) usage('--messages FILE is required');
if ((values.port === undefined) === (values.unix === undefined)) usage('give exactly one of --port and --unix');
if (values.framing !== 'length-prefixed' && values.framing !== 'delimited') usage(`unknown framing ${values.framing}`);

/** @type {Array<{type: number, flags: number, checksum: boolean, payload: string}>} */
const script = JSON.parse(readFileSync(values.messages, 'utf8'));

// The whole run is bounded, so a hung peer fails the calling test instead of stalling it.
const deadline = setTimeout(() => {
  process.stderr.write('interop-client: deadline passed\n');
  process.exit(3);
}, optionalInt(values.deadline));
deadline.unref();

const address = values.unix !== undefined ? { path: values.unix } : { host: values.host, port: optionalInt(values.port) };
const session = await open(address, {
  framing: /** @type {'length-prefixed' | 'delimited'} */ (values.framing),
  maxFrameSize: optionalInt(values['max-frame-size']),
  maxMessageSize: optionalInt(values['max-message-size']),
  handshakeTimeout: 5000,
  frameTimeout: 5000,
  tls: values.tls
    ? { ca: values.cafile === undefined ? undefined : readFileSync(values.cafile), servername: values['server-name'] }
    : undefined,
});
const closed = new Promise((resolve) => (session.closed ? resolve(null) : session.once('close', () => resolve(null))));
const peer = /** @type {{maxFrameSize: number, maxMessageSize: number}} */ ({ ...session.peer });

/** @type {Array<{type: number, flags: number, size: number, sha256: string}>} */
const received = [];
session.on('message', (m) => {
  received.push({ type: m.type, flags: m.flags, size: m.payload.length, sha256: createHash('sha256').update(m.payload).digest('hex') });
});
let cleanEnd = false;
session.on('end', () => {
  cleanEnd = true;
});
session.on('error', () => {}); // kept in session.failure and reported below

/** @type {number | null} */
let pingMs = null;
try {
  pingMs = await session.pingMs(undefined, { timeout: 5000 });
} catch {
  // the failure is in session.failure
}

const pretendFrame = optionalInt(values['pretend-peer-max-frame-size']);
const pretendMessage = optionalInt(values['pretend-peer-max-message-size']);
if (pretendFrame !== undefined || pretendMessage !== undefined) {
  // the session splits and checks what it sends against core.peer (FW-HEL-5): replacing it
  // is the one way to make this sender break the limits the peer announced
  session.core.peer = {
    maxFrameSize: pretendFrame ?? peer.maxFrameSize,
    maxMessageSize: pretendMessage ?? peer.maxMessageSize,
  };
}

/** @type {string | null} */
let sendError = null;
try {
  for (const m of script) {
    session.send(m.type, Buffer.from(m.payload, 'base64'), { flags: m.flags, checksum: m.checksum });
    await session.drained();
  }
} catch (e) {
  sendError = /** @type {Error} */ (e).message;
}
session.end();
await closed;

const failure = session.failure;
process.stdout.write(
  `${JSON.stringify({
    peer,
    pingMs,
    received,
    cleanEnd,
    sendError,
    failure:
      failure === null
        ? null
        : {
            code: failure instanceof FramewireError ? failure.code : null,
            name: failure instanceof FramewireError ? failure.errorName : null,
            remote: failure instanceof FramewireError ? failure.remote : false,
            reason: failure instanceof FramewireError ? failure.reason : null,
            transport: failure instanceof TransportError,
            message: failure.message,
          },
  })}\n`,
);
