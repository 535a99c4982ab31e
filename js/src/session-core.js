// The session profile (spec/session.md, section 6) as a sans-I/O state machine.
// Bytes from the peer go in through receive()/receiveEnd(); bytes to write come out of
// takeOutput(); events for the application come back from receive()/receiveEnd().

import { FramewireError, LocalFailureError, PeerError, RemoteProtocolError, UsageError, BY_CODE, BY_NAME } from './errors.js';
import { binarySize, explainPreface, explainSilence } from './diagnosis.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  LENGTH_CEILING,
  MIN_LIMIT,
  TYPE_ERROR,
  TYPE_HELLO,
  TYPE_PING,
  TYPE_PONG,
  checkLimits,
  isDataType,
  normaliseFraming,
  readU32,
} from './frame.js';
import { Sender } from './sender.js';
import { createDecoder } from './decoder.js';

export const SETTING_MAX_FRAME_SIZE = 0x0001;
export const SETTING_MAX_MESSAGE_SIZE = 0x0002;

/**
 * FW-HEL-5: what the peer announced, and what this message needs.
 * @param {number} announced @param {number} size
 */
function messageTooLarge(announced, size) {
  return `the peer announced MAX_MESSAGE_SIZE ${announced}${binarySize(announced)}; this message needs ${size} bytes${binarySize(size)} (FW-HEL-5)`;
}

/** @param {import('./frame.js').Framing} framing */
export function preface(framing) {
  return Uint8Array.of(0x89, 0x46, 0x57, 0x31, framing === 'delimited' ? 0x44 : 0x4c, 0x0d, 0x0a, 0x1a);
}

/** The preface each session expects, shared (only read). */
const PREFACES = { 'length-prefixed': preface('length-prefixed'), delimited: preface('delimited') };

/**
 * HELLO payload announcing both limits (FW-HEL-1..2).
 * @param {number} maxFrameSize @param {number} maxMessageSize
 */
export function helloPayload(maxFrameSize, maxMessageSize) {
  const p = new Uint8Array(12);
  const dv = new DataView(p.buffer);
  dv.setUint16(0, SETTING_MAX_FRAME_SIZE);
  dv.setUint32(2, maxFrameSize);
  dv.setUint16(6, SETTING_MAX_MESSAGE_SIZE);
  dv.setUint32(8, maxMessageSize);
  return p;
}

/**
 * Parse a HELLO payload (FW-HEL-2..4). Returns the limits or a detail string for malformed-control.
 * @param {Uint8Array} p
 * @returns {{maxFrameSize: number, maxMessageSize: number, settings: Map<number, number>} | string}
 */
export function parseHello(p) {
  if (p.length % 6 !== 0) return `HELLO payload of ${p.length} bytes is not a multiple of 6`;
  if (p.length / 6 > MAX_HELLO_SETTINGS) return `HELLO carries ${p.length / 6} settings, more than ${MAX_HELLO_SETTINGS} (FW-HEL-10)`;
  /** @type {Map<number, number>} */
  const settings = new Map();
  for (let i = 0; i < p.length; i += 6) {
    const id = (p[i] << 8) | p[i + 1];
    const value = readU32(p, i + 2);
    if (settings.has(id)) return `HELLO setting 0x${id.toString(16).padStart(4, '0')} appears twice`;
    settings.set(id, value);
  }
  const mf = settings.get(SETTING_MAX_FRAME_SIZE) ?? DEFAULT_MAX_FRAME_SIZE;
  const mm = settings.get(SETTING_MAX_MESSAGE_SIZE) ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (mf < MIN_LIMIT || mf > LENGTH_CEILING) return `HELLO MAX_FRAME_SIZE ${mf} is outside 256..2^30`;
  if (mm !== 0 && mm < MIN_LIMIT) return `HELLO MAX_MESSAGE_SIZE ${mm} is neither 0 nor 256..2^32-1`;
  return { maxFrameSize: mf, maxMessageSize: mm, settings };
}

/** the most settings a HELLO may carry (FW-HEL-10): what fits the smallest frame size */
const MAX_HELLO_SETTINGS = 42;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8enc = new TextEncoder();

/**
 * ERROR payload: code, then a reason of at most 254 UTF-8 bytes (FW-ERR-2), cut at a character boundary.
 * @param {number} code @param {string} reason
 */
export function errorPayload(code, reason) {
  let r = utf8enc.encode(reason);
  if (r.length > 254) {
    let n = 254;
    while (n > 0 && (r[n] & 0xc0) === 0x80) n--; // do not cut inside a character
    r = r.subarray(0, n);
  }
  const p = new Uint8Array(2 + r.length);
  p[0] = code >>> 8;
  p[1] = code & 0xff;
  p.set(r, 2);
  return p;
}

/**
 * @typedef {'AWAIT_PREFACE' | 'AWAIT_HELLO' | 'OPEN' | 'PEER_DONE' | 'FAILED'} SessionState
 *
 * @typedef {{kind: 'open', peer: {maxFrameSize: number, maxMessageSize: number}}
 *   | {kind: 'message', type: number, flags: number, payload: Uint8Array}
 *   | {kind: 'piece', type: number, flags: number, payload: Uint8Array, first: boolean, last: boolean}
 *   | {kind: 'pong', data: Uint8Array}
 *   | {kind: 'end'}
 *   | {kind: 'error', error: RemoteProtocolError | LocalFailureError}
 *   | {kind: 'peer-error', error: PeerError}} SessionEvent
 *   'error': this side failed the connection, for the peer's fault (RemoteProtocolError) or
 *   its own reason (LocalFailureError: fail(), a deadline); 'peer-error': the peer sent
 *   ERROR (FW-ERR-3).
 *
 * @typedef {object} SessionOptions
 * @property {import('./frame.js').Framing | 'L' | 'D'} [framing]
 * @property {number} [maxFrameSize]    announced and enforced (FW-HEL-6)
 * @property {number} [maxMessageSize]  announced and enforced; 0 = no limit
 * @property {boolean} [checksum]       add CRC-32C trailers to the frames this side sends
 * @property {boolean} [streaming]      deliver each data frame as a 'piece' event instead of
 *   assembling whole messages (FW-MSG-15); default true when maxMessageSize is 0, since a
 *   receiver that announces no message limit must stream (FW-LIM-5)
 */

/** Sans-I/O session state machine. */
export class SessionCore {
  /** @param {SessionOptions} [options] */
  constructor(options = {}) {
    /** @type {import('./frame.js').Framing} */
    this.framing = normaliseFraming(options.framing);
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    checkLimits(this.maxFrameSize, this.maxMessageSize);
    this.checksum = options.checksum ?? false;
    /** deliver pieces, not whole messages */
    this.streaming = options.streaming ?? this.maxMessageSize === 0;
    /** the data message this side is streaming out with sendPiece(), if any */
    /** @type {{type: number, flags: number, size: number} | null} */
    this._outMsg = null;
    /** @type {SessionState} */
    this.state = 'AWAIT_PREFACE';
    /** the peer's announced limits, once its HELLO is in */
    /** @type {{maxFrameSize: number, maxMessageSize: number} | null} */
    this.peer = null;
    /** the error that failed the connection (sent or received) */
    /** @type {FramewireError | null} */
    this.failure = null;
    /** true when the failure came from the peer's ERROR, valid or malformed: nothing more
     * is sent (FW-ERR-3, FW-ERR-4) */
    this.failedByPeer = false;
    /** this side has finished sending (half-close requested, FW-CLS-1) */
    this.localDone = false;
    /** the peer's direction ended cleanly */
    this.peerDone = false;
    /** the I/O layer has half-closed this side's output */
    this.writeClosed = false;

    this._expectedPreface = PREFACES[this.framing];
    this._prefaceFill = 0;
    this._decoder = createDecoder({
      framing: this.framing,
      maxFrameSize: this.maxFrameSize,
      maxMessageSize: this.maxMessageSize,
      fatal: true,
      assemble: !this.streaming,
      pieces: this.streaming,
      accept: (type) => this._accept(type),
    });
    /** the frames this side sends, in order */
    this._sender = new Sender(this.framing);
    /** application sends made before the peer's HELLO arrived (FW-SES-2) */
    /** @type {Array<{type: number, payload: Uint8Array, flags: number, checksum: boolean}>} */
    this._early = [];
    /** @type {Uint8Array[]} */
    this._earlyPings = [];
    /** PINGs sent and not yet answered, by data: how many of each (two may carry the same data) */
    /** @type {Map<string, number> | null} */
    this._pings = null; // allocated by the first PING
    /** @type {SessionEvent[]} */
    this._events = [];
    /** @type {((ev: SessionEvent) => void) | null} */
    this._sink = null;
    this._pingCounter = 0n;

    // FW-SES-1: preface and HELLO at once
    this._sender.push(preface(this.framing));
    this._pushFrame(TYPE_HELLO, helloPayload(this.maxFrameSize, this.maxMessageSize), false);
  }

  /** true while part of a frame from the peer is buffered (for the frame deadline; the
   * preface is not a frame: the handshake deadline covers it) */
  get inFrame() {
    return this.state === 'AWAIT_PREFACE' ? false : this._decoder.inFrame;
  }

  /** bytes of buffer memory held for input not yet delivered and output not yet taken */
  get heldBytes() {
    return this._decoder.heldBytes + this._sender.heldBytes;
  }

  /** frames decoded so far (for the frame deadline) */
  get framesDecoded() {
    return this._decoder.framesDecoded;
  }

  /** true once nothing more may be written: output should be half-closed after flushing */
  get wantsShutdown() {
    return this.state === 'FAILED' || (this.localDone && this._early.length === 0 && this._earlyPings.length === 0);
  }

  /** true once both directions are over (or the connection failed) */
  get finished() {
    return this.state === 'FAILED' || (this.peerDone && this.wantsShutdown);
  }

  /**
   * Frames waiting to be written, in order (PONGs first). Empties the queue.
   * @returns {Uint8Array[]}
   */
  takeOutput() {
    return this._sender.take();
  }

  /** PONGs queued and not yet taken (FW-SEC-2: the I/O layer stops reading while this is large) */
  get urgentCount() {
    return this._sender.urgentCount;
  }

  get hasOutput() {
    return this._sender.hasOutput;
  }

  /**
   * @param {number} type @param {Uint8Array} payload @param {boolean} urgent
   */
  _pushFrame(type, payload, urgent) {
    this._sender.control(type, payload, this.checksum, urgent);
  }

  /** @param {number} type @returns {RemoteProtocolError | null} */
  _accept(type) {
    if (type === TYPE_ERROR) return null;
    if (this.state === 'AWAIT_HELLO') {
      if (type === TYPE_HELLO) return null;
      return new RemoteProtocolError('unexpected-message', `frame of type 0x${type.toString(16)} before the peer's HELLO`, {
        statement: 'FW-SES-6',
      });
    }
    if (type === TYPE_HELLO) {
      return new RemoteProtocolError('unexpected-message', 'a second HELLO', { statement: 'FW-HEL-1' });
    }
    return null;
  }

  /**
   * Fail the connection on an error this side detected (FW-SES-3).
   * @param {RemoteProtocolError | LocalFailureError} error
   * @param {boolean} [sendError] false when no ERROR frame may be sent
   */
  _fail(error, sendError = true) {
    if (this.state === 'FAILED') return;
    this.state = 'FAILED';
    this.failure = error;
    // frames queued before the failure (a PONG owed, data handed over earlier) still go out,
    // then the ERROR as the last frame; sends that waited for the peer's HELLO are dropped.
    // After the peer's malformed ERROR, the application's queued frames are dropped too:
    // the peer has failed the connection, and nothing more is sent (FW-ERR-4).
    this._early = [];
    this._earlyPings = [];
    if (this.failedByPeer) this._sender.dropQueued();
    const entry = BY_CODE.get(error.code);
    if (sendError && !this.writeClosed && (entry?.errorFrame ?? true)) {
      this._pushFrame(TYPE_ERROR, errorPayload(error.code, error.message), false);
    }
    this._emit({ kind: 'error', error });
  }

  /**
   * Fail the connection from the application side (`timeout`, `internal-error`...).
   * @param {string | number} nameOrCode @param {string} [detail]
   * @param {unknown} [cause] what made the application give up, for the application only
   *   (it is not sent: the ERROR's reason is `detail`)
   */
  fail(nameOrCode, detail, cause) {
    if (this.state === 'FAILED') return [];
    if (nameOrCode === 'timeout' || nameOrCode === BY_NAME.get('timeout')?.code) {
      detail = (detail ?? '') + explainSilence(this._prefaceFill, this.peer !== null);
    }
    this._fail(new LocalFailureError(nameOrCode, detail, { cause }));
    return this._takeEvents();
  }

  /**
   * @param {SessionEvent} ev
   */
  _emit(ev) {
    if (this._sink !== null) this._sink(ev);
    else this._events.push(ev);
  }

  _takeEvents() {
    const e = this._events;
    this._events = [];
    return e;
  }

  /**
   * Bytes received from the peer. Returns the events; or, with `sink`, hands each event to it
   * as soon as it happens, so that the application can react (send, say) before the next
   * event of the same chunk is handled.
   * @param {Uint8Array} chunk
   * @param {(ev: SessionEvent) => void} [sink]
   * @returns {SessionEvent[]}
   */
  receive(chunk, sink) {
    if (sink === undefined) return this._receive(chunk);
    this._sink = sink;
    try {
      return this._receive(chunk);
    } finally {
      this._sink = null;
    }
  }

  /**
   * @param {Uint8Array} chunk
   * @returns {SessionEvent[]}
   */
  _receive(chunk) {
    if (this.state === 'FAILED' || this.state === 'PEER_DONE') return []; // FW-SES-4: discard
    let pos = 0;
    if (this.state === 'AWAIT_PREFACE') {
      while (pos < chunk.length && this._prefaceFill < 8) {
        const want = this._expectedPreface[this._prefaceFill];
        if (chunk[pos] !== want) {
          // what arrived so far: the matching bytes, then this chunk's rest of the preface
          const received = new Uint8Array(8);
          received.set(this._expectedPreface.subarray(0, this._prefaceFill));
          const rest = chunk.subarray(pos, pos + 8 - this._prefaceFill);
          received.set(rest, this._prefaceFill);
          const detail = explainPreface(received.subarray(0, this._prefaceFill + rest.length), this._expectedPreface, this.framing);
          this._fail(new RemoteProtocolError('bad-preface', detail, { statement: 'FW-PRE-2' }), false);
          return this._takeEvents();
        }
        pos++;
        this._prefaceFill++;
      }
      if (this._prefaceFill < 8) return this._takeEvents();
      this.state = 'AWAIT_HELLO';
      if (pos === chunk.length) return this._takeEvents();
      chunk = chunk.subarray(pos);
    }
    const decoder = this._decoder;
    decoder._hold(chunk);
    // the decoder stops after each control message: the session acts on it (its HELLO
    // opens the session) before the frames after it are checked against the state
    do {
      decoder._run(true);
      this._handle(decoder._take());
    } while (decoder._pending && !this.finished);
    return this._takeEvents();
  }

  /**
   * The peer's end of input (its half-close).
   * @param {(ev: SessionEvent) => void} [sink] as for receive()
   * @returns {SessionEvent[]}
   */
  receiveEnd(sink) {
    if (sink === undefined) return this._receiveEnd();
    this._sink = sink;
    try {
      return this._receiveEnd();
    } finally {
      this._sink = null;
    }
  }

  /** @returns {SessionEvent[]} */
  _receiveEnd() {
    if (this.state === 'FAILED' || this.state === 'PEER_DONE') return [];
    if (this.state === 'AWAIT_PREFACE') {
      this._fail(new RemoteProtocolError('handshake-incomplete', `input ended after ${this._prefaceFill} preface bytes`, { statement: 'FW-PRE-3' }));
      return this._takeEvents();
    }
    const evs = this._decoder.end();
    if (this.state === 'AWAIT_HELLO' && !evs.some((e) => e.kind === 'error')) {
      // FW-CLS-5: before the HELLO, end of input is handshake-incomplete (at a boundary or not)
      this._fail(new RemoteProtocolError('handshake-incomplete', 'input ended before the peer\'s HELLO', { statement: 'FW-CLS-5' }));
      return this._takeEvents();
    }
    this._handle(evs);
    return this._takeEvents();
  }

  /** @param {import('./decoder.js').DecoderEvent[]} evs */
  _handle(evs) {
    for (const ev of evs) {
      if (this.state === 'FAILED') return;
      if (ev.kind === 'error') {
        if (this.state === 'AWAIT_HELLO' && ev.error.errorName === 'truncated-frame') {
          // end of input inside the first frame: still before the HELLO (FW-CLS-5, FW-PRE-3)
          this._fail(new RemoteProtocolError('handshake-incomplete', 'input ended inside the peer\'s HELLO', { statement: 'FW-CLS-5' }));
          return;
        }
        this._fail(ev.error);
        return;
      }
      if (ev.kind === 'end') {
        this.state = 'PEER_DONE';
        this.peerDone = true;
        this._emit({ kind: 'end' });
        return;
      }
      if (ev.kind === 'piece') {
        this._emit(ev);
        continue;
      }
      if (ev.kind !== 'message') continue;
      const { type, payload } = ev;
      if (isDataType(type)) {
        this._emit(ev);
      } else if (type === TYPE_HELLO) {
        const h = parseHello(payload);
        if (typeof h === 'string') {
          this._fail(new RemoteProtocolError('malformed-control', h, { statement: 'FW-HEL-3' }));
          return;
        }
        this.peer = { maxFrameSize: h.maxFrameSize, maxMessageSize: h.maxMessageSize };
        this.state = 'OPEN';
        this._emit({ kind: 'open', peer: this.peer });
        const early = this._early;
        const pings = this._earlyPings;
        this._early = [];
        this._earlyPings = [];
        for (const m of early) this._sendNow(m.type, m.payload, m.flags, m.checksum);
        for (const p of pings) this._pingNow(p);
      } else if (type === TYPE_ERROR) {
        this._peerError(payload);
        return;
      } else if (type === TYPE_PING) {
        if (payload.length !== 8) {
          this._fail(new RemoteProtocolError('malformed-control', `PING payload of ${payload.length} bytes, not 8`, { statement: 'FW-PNG-1' }));
          return;
        }
        // FW-PNG-2: answer at once, ahead of data not yet started, unless done sending
        if (!this.writeClosed) this._pushFrame(TYPE_PONG, payload, true);
      } else if (type === TYPE_PONG) {
        if (payload.length !== 8) {
          this._fail(new RemoteProtocolError('malformed-control', `PONG payload of ${payload.length} bytes, not 8`, { statement: 'FW-PNG-1' }));
          return;
        }
        const key = hex(payload);
        const waiting = this._pings?.get(key) ?? 0;
        if (waiting === 0) continue; // FW-PNG-3: not for a PING of ours, ignored
        if (waiting === 1) this._pings?.delete(key);
        else this._pings?.set(key, waiting - 1);
        this._emit({ kind: 'pong', data: payload });
      }
    }
  }

  /** @param {Uint8Array} payload */
  _peerError(payload) {
    // a malformed ERROR is still the peer failing the connection (FW-ERR-4)
    let fault = payload.length < 2 ? `ERROR payload of ${payload.length} bytes` : null;
    let reason = '';
    if (fault === null) {
      try {
        reason = utf8.decode(payload.subarray(2));
      } catch {
        fault = 'ERROR reason is not valid UTF-8';
      }
    }
    // nothing more is sent (FW-ERR-3, FW-ERR-4): not what is queued and not yet written
    // (the rest of a data message, echoes), except the PONGs owed for PINGs before the ERROR
    // (FW-PNG-6), so that the output does not depend on whether the two came in one read
    this._early = [];
    this._earlyPings = [];
    this._sender.dropQueued();
    this.failedByPeer = true;
    if (fault !== null) {
      this._fail(new RemoteProtocolError('malformed-control', fault, { statement: 'FW-ERR-4' }), false);
      return;
    }
    const code = (payload[0] << 8) | payload[1];
    const error = new PeerError(code, reason);
    this.state = 'FAILED';
    this.failure = error;
    this._emit({ kind: 'peer-error', error });
  }

  /** @param {string} what */
  _checkCanSend(what) {
    if (this.state === 'FAILED') throw /** @type {FramewireError} */ (this.failure); // FW-SES-4
    if (this.localDone) throw new UsageError(`${what} after end(): this side has finished sending (FW-CLS-6)`);
  }

  /**
   * Queue a data message (split into frames for the peer's MAX_FRAME_SIZE).
   * Before the peer's HELLO it waits (FW-SES-2).
   * @param {number} type 0x40..0xFF
   * @param {Uint8Array} payload
   * @param {{flags?: number, checksum?: boolean}} [options]
   */
  send(type, payload, options = {}) {
    this._checkCanSend('send()');
    if (!Number.isInteger(type) || !isDataType(type)) throw new UsageError(`data type must be 0x40..0xFF, got ${type}`);
    if (!(payload instanceof Uint8Array)) throw new UsageError('payload must be a Uint8Array');
    const flags = options.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > 15) throw new UsageError(`application flags must be 0..15, got ${flags}`);
    const checksum = options.checksum ?? this.checksum;
    if (this._outMsg !== null) throw new UsageError('send() while a streamed message is in progress: finish it first (FW-MSG-5)');
    if (this.peer === null) {
      this._early.push({ type, payload, flags, checksum });
      return;
    }
    this._sendNow(type, payload, flags, checksum);
  }

  /**
   * Stream a data message out piece by piece (FW-MSG-1, FW-MSG-2): `first` starts it, `last`
   * ends it (a piece may be empty). Each piece is split for the peer's MAX_FRAME_SIZE. Only
   * after the peer's HELLO (FW-SES-2); the message's total is checked against the peer's
   * MAX_MESSAGE_SIZE as it grows (FW-HEL-5).
   * @param {number} type @param {Uint8Array} payload
   * @param {{flags?: number, checksum?: boolean, first?: boolean, last?: boolean}} [options]
   */
  sendPiece(type, payload, options = {}) {
    this._checkCanSend('sendPiece()');
    if (!Number.isInteger(type) || !isDataType(type)) throw new UsageError(`data type must be 0x40..0xFF, got ${type}`);
    if (!(payload instanceof Uint8Array)) throw new UsageError('payload must be a Uint8Array');
    if (this.peer === null) throw new UsageError('sendPiece() before the peer\'s HELLO (FW-SES-2)');
    const flags = options.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > 15) throw new UsageError(`application flags must be 0..15, got ${flags}`);
    const first = options.first ?? this._outMsg === null;
    const last = options.last ?? false;
    if (first !== (this._outMsg === null)) {
      throw new UsageError(first ? 'a message is already in progress (FW-MSG-5)' : 'no message in progress: the first piece needs first: true');
    }
    if (!first) {
      const m = /** @type {{type: number, flags: number, size: number}} */ (this._outMsg);
      if (m.type !== type || m.flags !== flags) throw new UsageError('every piece of a message has its type and flags (FW-MSG-3)');
    }
    const size = (first ? 0 : /** @type {{size: number}} */ (this._outMsg).size) + payload.length;
    if (this.peer.maxMessageSize !== 0 && size > this.peer.maxMessageSize) {
      throw new UsageError(messageTooLarge(this.peer.maxMessageSize, size));
    }
    this._sender.data(type, payload, flags, options.checksum ?? this.checksum, this.peer.maxFrameSize, first, last);
    this._outMsg = last ? null : { type, flags, size };
  }

  /**
   * @param {number} type @param {Uint8Array} payload @param {number} flags @param {boolean} checksum
   */
  _sendNow(type, payload, flags, checksum) {
    const peer = /** @type {{maxFrameSize: number, maxMessageSize: number}} */ (this.peer);
    if (peer.maxMessageSize !== 0 && payload.length > peer.maxMessageSize) {
      throw new UsageError(messageTooLarge(peer.maxMessageSize, payload.length));
    }
    this._sender.data(type, payload, flags, checksum, peer.maxFrameSize, true, true);
  }

  /**
   * Queue a PING; returns its 8 bytes. A 'pong' event reports the answer.
   * @param {Uint8Array} [data] 8 bytes; default a counter
   */
  ping(data) {
    this._checkCanSend('ping()');
    if (data === undefined) {
      data = new Uint8Array(8);
      new DataView(data.buffer).setBigUint64(0, ++this._pingCounter);
    }
    if (!(data instanceof Uint8Array) || data.length !== 8) throw new UsageError('PING data must be 8 bytes (FW-PNG-1)');
    if (this.peer === null) this._earlyPings.push(data);
    else this._pingNow(data);
    return data;
  }

  /** @param {Uint8Array} data */
  _pingNow(data) {
    const key = hex(data);
    const pings = (this._pings ??= new Map());
    pings.set(key, (pings.get(key) ?? 0) + 1);
    this._pushFrame(TYPE_PING, data, false);
  }

  /** Called by the I/O layer once it has half-closed the output (after wantsShutdown). */
  markWriteClosed() {
    this.writeClosed = true;
    this._sender.close();
  }

  /** This side has nothing more to send (FW-CLS-1): half-close once the queue is written. */
  end() {
    if (this.state === 'FAILED') return;
    if (this._outMsg !== null) throw new UsageError('end() while a streamed message is in progress: send its last piece first (FW-CLS-1)');
    this.localDone = true;
  }
}

/** @param {Uint8Array} b */
function hex(b) {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
