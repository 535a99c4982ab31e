#!/usr/bin/env node
// Echo peer for the live mode of spec/conformance.md (FW-CNF-25, FW-CNF-26).
//
//   node bin/echo-server.js [--host 127.0.0.1] [--port 0] [--unix PATH]
//                           [--framing length-prefixed|delimited]
//                           [--max-frame-size N] [--max-message-size N] [--checksum]
//                           [--connect HOST:PORT | --connect-unix PATH]
//                           [--tls --certfile PEM --keyfile PEM | --tls --cafile PEM [--server-name N]]
//   node bin/echo-server.js --listen ADDRESS | --connect ADDRESS [--handshake-ms N] [--frame-ms N]
//     (the echo peer contract of FW-CNF-32; ADDRESS is HOST:PORT, a socket path with a `/`,
//     or unix:PATH)
//
// Server mode (default): listens and prints one line `listening <address>` on stdout.
// Client mode (--connect / --connect-unix, for the runner's --live-serve): connects, runs one
// connection, connects again when it is over, until a connection is refused.
// --tls runs every connection over TLS (spec section 12): a server presents --certfile and
// --keyfile (and with --cafile requires client certificates signed by it); a client trusts
// --cafile and checks the server's certificate against --server-name (default: the host).

import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { appendFileSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Session, createServer, connect, tlsError } from '../src/session.js';
import { HELP_OPTION, parseCommandLine } from './command-line.js';

const HELP = `usage: framewire-echo-server [options]

An echo peer for the live mode of the conformance runner: every data message is sent
back, once, in order. It listens (and prints \`listening <address>\` on stdout), or with
--connect / --connect-unix it connects, runs one connection and connects again, until a
connection is refused.

options:
  --host HOST                 address to listen on (default 127.0.0.1)
  --port N                    port to listen on; 0 for any free port (default 0)
  --unix PATH                 listen on a Unix socket instead
  --framing F                 length-prefixed (default) or delimited
  --max-frame-size N          largest frame accepted
  --max-message-size N        largest message accepted, 0 for no limit
  --handshake-timeout MS      handshake deadline in milliseconds
  --frame-timeout MS          frame deadline in milliseconds
  --checksum                  add CRC-32C trailers to the frames sent
  --connect HOST:PORT         client mode: connect to this address
  --connect-unix PATH         client mode: connect to this Unix socket
  --listen ADDRESS            listen on HOST:PORT or a Unix socket path (FW-CNF-32)
  --handshake-ms MS, --frame-ms MS   the same deadlines, as FW-CNF-32 names them
  --tls                       every connection over TLS
  --certfile PEM              server: its certificate (with --tls)
  --keyfile PEM               server: its private key (with --tls)
  --cafile PEM                client: the CAs to trust; server: require client certificates
  --server-name NAME          client: the name to check the certificate against (default: host)
  --quiet                     no log lines on stderr
  -h, --help                  show this help and exit
`;

const { values } = parseCommandLine('framewire-echo-server', HELP, () => parseArgs({
  options: {
    help: HELP_OPTION,
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    unix: { type: 'string' },
    framing: { type: 'string', default: 'length-prefixed' },
    'max-frame-size': { type: 'string' },
    'max-message-size': { type: 'string' },
    'handshake-timeout': { type: 'string' },
    'frame-timeout': { type: 'string' },
    'handshake-ms': { type: 'string' },
    'frame-ms': { type: 'string' },
    listen: { type: 'string' },
    connect: { type: 'string' },
    'connect-unix': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    checksum: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
    certfile: { type: 'string' },
    keyfile: { type: 'string' },
    cafile: { type: 'string' },
    'server-name': { type: 'string' },
  },
}));

const clientMode = values.connect !== undefined || values['connect-unix'] !== undefined;

/** @returns {import('node:tls').ConnectionOptions & import('node:tls').TlsOptions | undefined} */
function tlsOptions() {
  if (!values.tls) return undefined;
  /** @param {string | undefined} path */
  const read = (path) => (path === undefined ? undefined : readFileSync(path));
  try {
    if (clientMode) return { ca: read(values.cafile), servername: values['server-name'] };
    if (values.certfile === undefined) throw new Error('--tls needs --certfile (and --keyfile)');
    const ca = read(values.cafile);
    return { cert: read(values.certfile), key: read(values.keyfile ?? values.certfile), ca, requestCert: ca !== undefined, rejectUnauthorized: true };
  } catch (e) {
    process.stderr.write(`echo-server: ${/** @type {Error} */ (e).message}\n`);
    process.exit(2);
  }
}

/** @type {import('../src/session.js').NetSessionOptions} */
const options = {
  framing: /** @type {any} */ (values.framing),
  maxFrameSize: values['max-frame-size'] !== undefined ? Number(values['max-frame-size']) : undefined,
  maxMessageSize: values['max-message-size'] !== undefined ? Number(values['max-message-size']) : undefined,
  handshakeTimeout: optionalNumber(values['handshake-ms'] ?? values['handshake-timeout']),
  frameTimeout: optionalNumber(values['frame-ms'] ?? values['frame-timeout']),
  // the echo peer sends back whole messages once complete (FW-CNF-25), so it assembles them
  // even with --max-message-size 0 (then its memory per connection is not bounded: FW-LIM-5)
  streaming: false,
  tls: tlsOptions(),
};

/** @param {string | undefined} text */
function optionalNumber(text) {
  return text !== undefined ? Number(text) : undefined;
}

/**
 * An ADDRESS of the echo peer contract (FW-CNF-32): HOST:PORT, or a Unix socket path.
 * @param {string} text
 * @returns {{host?: string, port?: number, path?: string}}
 */
function parseAddress(text) {
  if (text.startsWith('unix:')) return { path: text.slice(5) };
  if (text.includes('/')) return { path: text };
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(text.slice(i + 1)) };
}

if (values.listen !== undefined) {
  const where = parseAddress(values.listen);
  if (where.path !== undefined) values.unix = where.path;
  else {
    values.host = where.host ?? '127.0.0.1';
    values.port = String(where.port);
  }
}

/** @param {string} msg */
function log(msg) {
  if (!values.quiet) process.stderr.write(`echo-server: ${msg}\n`);
}

let connections = 0;
/**
 * Each connection's number, for its log lines. The listeners below are shared by every
 * connection (EventEmitter calls them with the session as `this`), so that an idle
 * connection holds no closures of its own.
 * @type {WeakMap<Session, number>}
 */
const connectionNumbers = new WeakMap();

/**
 * Send a data message back, once, in order.
 * @this {Session} @param {{type: number, flags: number, payload: Uint8Array}} m
 */
function echoMessage(m) {
  try {
    const ok = this.send(m.type, m.payload, { flags: m.flags, checksum: values.checksum });
    // FW-SEC-2: a peer that does not read its echoes must not make us queue them without
    // bound: stop reading until the socket has drained
    if (!ok && !this.paused) {
      this.pause();
      this.once('drain', resumeReading);
    }
  } catch (e) {
    log(`#${connectionNumbers.get(this)}: cannot echo: ${/** @type {Error} */ (e).message}`);
    this.fail('internal-error', 'echo failed');
  }
}

/** @this {Session} */
function resumeReading() {
  this.resume();
}

/** FW-CLS-3: finish the echoes, then half-close. @this {Session} */
function endEcho() {
  this.end();
}

/** @this {Session} @param {Error} e */
function logFailure(e) {
  log(`#${connectionNumbers.get(this)}: ${e.message}`);
}

/**
 * With FRAMEWIRE_MEMORY_REPORT naming a directory, SIGUSR2 runs a full garbage collection
 * and appends one JSON line to DIRECTORY/PID.jsonl: the bytes the program holds, what
 * process.memoryUsage() says (RSS also counts the heap V8 and the C allocator keep for
 * later) and the sessions not yet collected, counted through a FinalizationRegistry
 * (tests/soak/soak_run.py tells a leak from a heap that grew once and stays).
 * @returns {((session: Session) => void) | undefined} what counts a new session
 */
function installMemoryReport() {
  const directory = process.env.FRAMEWIRE_MEMORY_REPORT;
  if (!directory) return undefined;
  let live = 0;
  const finalized = new FinalizationRegistry(() => { live--; });
  setFlagsFromString('--expose-gc');
  const collect = /** @type {() => void} */ (runInNewContext('gc'));
  process.on('SIGUSR2', () => {
    collect();
    // finalization callbacks run after the collection, in a later task
    setTimeout(() => {
      const usage = process.memoryUsage();
      // held: the JS heap in use and the ArrayBuffers (Buffers' memory) alive; V8 frees
      // other external memory lazily, after the collection, so it is not counted
      const entry = { held: usage.heapUsed + usage.arrayBuffers, ...usage, liveSessions: live, sessions: connections };
      appendFileSync(`${directory}/${process.pid}.jsonl`, `${JSON.stringify(entry)}\n`);
    }, 50);
  });
  return (session) => {
    live++;
    finalized.register(session, undefined);
  };
}
const countSession = installMemoryReport();

/**
 * The echo application: every data message back, once, in order; half-close after the peer's clean end.
 * @param {Session} session
 */
function echo(session) {
  connectionNumbers.set(session, ++connections);
  countSession?.(session);
  session.on('message', echoMessage);
  session.on('end', endEcho);
  session.on('error', logFailure);
}

if (clientMode) {
  /** @type {{host?: string, port?: number, path?: string}} */
  let address;
  if (values['connect-unix'] !== undefined) address = { path: values['connect-unix'] };
  else address = parseAddress(/** @type {string} */ (values.connect));
  for (;;) {
    let session;
    try {
      session = await connect(address, options);
    } catch (e) {
      log(`connect: ${/** @type {Error} */ (e).message}; stopping`);
      break;
    }
    echo(session);
    await once(session, 'close');
  }
} else {
  const server = createServer(options, echo);
  server.on('error', (e) => {
    log(`server: ${e.message}`);
    process.exit(1);
  });
  server.on('tlsClientError', (e) => log(tlsError(e, 'accepting').message));
  const onListening = () => {
    const a = server.address();
    const where = typeof a === 'string' ? a : `${a?.address}:${a?.port}`;
    process.stdout.write(`listening ${where}\n`);
  };
  if (values.unix !== undefined) {
    // a stale socket file from an earlier run would make listen() fail
    try {
      if (statSync(values.unix).isSocket()) unlinkSync(values.unix);
    } catch {
      // does not exist
    }
    server.listen(values.unix, onListening);
  }
  else server.listen(Number(values.port), values.host, onListening);
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.on(sig, () => {
      server.close();
      process.exit(0);
    });
  }
}
