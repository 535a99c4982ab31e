// Request handlers of the conformance adapter protocol (spec/conformance.md 10.3), shared by
// bin/adapter.js and the tests. They only map a request onto the public API and report.

import { createDecoder, encodeMessage, FramewireError } from './codec.js';
import { SessionCore } from './session-core.js';
import { hexToBytes, bytesToHex } from './hex.js';

/** @param {FramewireError} e */
function errJson(e) {
  return { code: e.code, name: e.errorName };
}

/** The adapter protocol versions this adapter speaks (FW-CNF-10); it answers the latest offered. */
export const PROTOCOL_VERSIONS = [1, 2];

/**
 * The decoder hands its events over with the bytes (feed() returns them), so it holds no
 * unread events: reading late (FW-CNF-34, `read: "end"`) gives the same calls.
 * @param {any} req
 * @returns {object}
 */
export function decode(req) {
  const assemble = req.assemble ?? true;
  const decoder = createDecoder({
    framing: req.framing,
    maxFrameSize: req.limits?.max_frame_size,
    maxMessageSize: req.limits?.max_message_size,
    hunting: req.hunting ?? false,
    assemble,
    pieces: !assemble,
  });
  /** @type {object[]} */
  const events = [];
  /** @type {FramewireError | null} */
  let fatal = null;
  let ended = false;
  /** @param {import('../src/decoder.js').DecoderEvent[]} evs */
  const collect = (evs) => {
    for (const ev of evs) {
      if (fatal !== null) throw new Error(`decoder reported ${ev.kind} after a fatal error`);
      if (ev.kind === 'message') {
        events.push({ message: { type: ev.type, flags: ev.flags, payload: bytesToHex(ev.payload) } });
      } else if (ev.kind === 'piece') {
        events.push({ piece: { type: ev.type, flags: ev.flags, payload: bytesToHex(ev.payload), first: ev.first, last: ev.last } });
      } else if (ev.kind === 'error') {
        if (ev.fatal) fatal = ev.error;
        else events.push({ error: errJson(ev.error) });
      } else if (ev.kind === 'end') {
        ended = true;
      }
    }
  };
  for (const c of req.chunks ?? []) {
    collect(decoder.feed(hexToBytes(c)));
    if (fatal !== null) break;
  }
  if (fatal === null && (req.eof ?? true)) {
    collect(decoder.end());
    if (fatal === null && !ended) throw new Error('end() reported neither an error nor a clean end');
  }
  if (fatal !== null) return { seq: req.seq, status: 'error', events, error: errJson(fatal) };
  return { seq: req.seq, status: 'result', events, end: ended ? 'clean' : 'open' };
}

/** @param {any} req */
export function encode(req) {
  const m = req.message;
  const out = encodeMessage(req.framing, m.type, hexToBytes(m.payload), {
    flags: m.flags,
    checksum: req.options?.checksum ?? false,
    maxFrameSize: req.options?.max_frame_size,
  });
  return { seq: req.seq, status: 'result', output: bytesToHex(out) };
}

/** The receive paths of each request kind that the adapter runs every vector through (FW-CNF-31). */
export const RECEIVE_PATHS = { session: ['receive', 'receive+sink'] };

/** @param {any} req */
export function session(req) {
  const core = new SessionCore({
    framing: req.framing,
    maxFrameSize: req.limits?.max_frame_size,
    maxMessageSize: req.limits?.max_message_size,
    // the session vectors report whole messages; the application of this request only
    // receives them, so it asks for whole messages also when the limit is 0 (FW-LIM-5)
    streaming: false,
  });
  /** @type {object[]} */
  const events = [];
  /** @type {Uint8Array[]} */
  const sent = [];
  /** @type {object | string | null} */
  let end = null;
  /** @type {FramewireError | null} */
  let failed = null;
  /** @type {{type: number, flags: number, payload: string}[]} */
  const toSend = req.send ?? [];
  /** @param {import('../src/session-core.js').SessionEvent[]} evs */
  const collect = (evs) => {
    for (const ev of evs) {
      if (ev.kind === 'message') {
        events.push({ message: { type: ev.type, flags: ev.flags, payload: bytesToHex(ev.payload) } });
      } else if (ev.kind === 'open') {
        // FW-CNF-35, FW-CNF-36: the application learns the peer's limits, then sends
        if (req.control) events.push({ hello: { max_frame_size: ev.peer.maxFrameSize, max_message_size: ev.peer.maxMessageSize } });
        for (const m of toSend) {
          if (core.state === 'FAILED') break; // refused: the session has failed
          core.send(m.type, hexToBytes(m.payload), { flags: m.flags });
        }
      } else if (ev.kind === 'error') {
        failed = ev.error;
      } else if (ev.kind === 'peer-error') {
        end = { peer_error: { code: ev.error.code, reason: ev.error.reason } };
      } else if (ev.kind === 'end') {
        end = 'clean';
      }
    }
    sent.push(...core.takeOutput());
  };
  // FW-CNF-31: the events come back from receive() or, as the socket session takes them,
  // one by one through a sink
  /** @type {import('../src/session-core.js').SessionEvent[]} */
  const sunk = [];
  const sink = req.receive === 'receive+sink' ? (/** @type {any} */ ev) => sunk.push(ev) : undefined;
  const take = (/** @type {import('../src/session-core.js').SessionEvent[]} */ evs) => [...sunk.splice(0), ...evs];
  collect([]);
  // FW-CNF-34: reading late, the application acts on the events (and the output is
  // taken) only once every chunk is in
  const late = req.read === 'end';
  /** @type {import('../src/session-core.js').SessionEvent[]} */
  const unread = [];
  for (const c of req.chunks ?? []) {
    if (core.state === 'FAILED' || core.state === 'PEER_DONE') break;
    const evs = take(core.receive(hexToBytes(c), sink));
    if (late) unread.push(...evs);
    else collect(evs);
  }
  if (late) collect(unread);
  if (req.eof ?? true) collect(take(core.receiveEnd(sink)));
  const sentHex = sent.map(bytesToHex).join('');
  // FW-CNF-37: whether the session will queue nothing more
  const sending = core.wantsShutdown ? 'done' : 'open';
  if (failed !== null) return { seq: req.seq, status: 'error', events, sent: sentHex, error: errJson(failed), sending };
  return { seq: req.seq, status: 'result', events, sent: sentHex, end: end ?? 'open', sending };
}

