// A session over a connected stream socket (TCP, Unix domain or TLS): a thin I/O shell
// around the sans-I/O SessionCore. connect.js and server.js make the sockets.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import { SessionCore } from './session-core.js';
import { BY_NAME, FramewireError, TransportError, UsageError } from './errors.js';

/**
 * @typedef {import('./session-core.js').SessionOptions & {
 *   handshakeTimeout?: number,
 *   frameTimeout?: number,
 *   lingerTimeout?: number,
 *   tls?: import('node:tls').ConnectionOptions & import('node:tls').TlsOptions,
 * }} NetSessionOptions
 *   handshakeTimeout: ms from the start until the peer's HELLO (default 10000, FW-LIM-6; 0 = none)
 *   frameTimeout: ms from a frame's first byte to its last (default 30000; 0 = none)
 *   lingerTimeout: ms to wait for the peer's end of input after a failure or our half-close
 *                  once the peer is done (default 1000)
 *   tls: run the connection over TLS (spec section 12) with these node:tls options: a
 *        client's `ca` and `servername` (verification stays on unless the caller turns
 *        it off), a server's `cert` and `key`. The ALPN id is set here (FW-TLS-2, FW-TLS-3).
 *        `end()` sends close_notify, then FIN (FW-TLS-5). Node's tls reports a TCP end
 *        without close_notify as the same 'end' event as close_notify, so this
 *        implementation cannot detect a truncation at a frame boundary (FW-TLS-7; see
 *        spec 12.3): only inside a frame or a message (FW-CLS-5).
 */

/** PONGs queued behind a full socket buffer before this side stops reading (FW-SEC-2). */
const MAX_QUEUED_PONGS = 64;
/** Messages / bytes delivered but not yet taken by receive() before this side stops reading. */
const INBOX_MESSAGES = 1024;
const INBOX_BYTES = 16 * 1024 * 1024;

/** The events whose listeners are the application's: one that throws (or returns a promise
 * that rejects) fails its own connection with internal-error (FW-ERR-6). */
const APPLICATION_EVENTS = new Set(['open', 'message', 'piece', 'pong', 'end']);

/** Where a socket's listeners find their session. */
const SESSION = Symbol('framewire.session');

/** @typedef {net.Socket & {[SESSION]: Session}} SessionSocket */

/** @typedef {{type: number, flags: number, payload: Uint8Array}} Message */
/** @typedef {Message & {first: boolean, last: boolean}} Piece */

/**
 * The events of a Session and their listeners' arguments, so that TypeScript rejects a
 * misspelt event name or a listener of the wrong shape.
 * @typedef {{
 *   open: [peer: {maxFrameSize: number, maxMessageSize: number}],
 *   message: [message: Message],
 *   piece: [piece: Piece],
 *   pong: [data: Uint8Array],
 *   end: [],
 *   error: [error: Error],
 *   drain: [],
 *   close: [],
 * }} SessionEvents
 */

/** @this {SessionSocket} @param {Buffer} chunk */
function onSocketData(chunk) {
  this[SESSION]._onData(chunk);
}

/** @this {SessionSocket} */
function onSocketEnd() {
  this[SESSION]._onEnd();
}

/** @this {SessionSocket} */
function onSocketDrain() {
  this[SESSION]._onDrain();
}

/** @this {SessionSocket} @param {Error} err */
function onSocketError(err) {
  this[SESSION]._onTransportError(err);
}

/** @this {SessionSocket} */
function onSocketClose() {
  this[SESSION]._onClose();
}

/**
 * One Framewire connection.
 *
 * Events: 'open' (peer limits), 'message' ({type, flags, payload}), in streaming mode 'piece'
 * ({type, flags, payload, first, last}; to receive() when nobody listens), 'pong' (data),
 * 'end' (the peer finished cleanly), 'error' (RemoteProtocolError: the peer's fault;
 * LocalFailureError: a deadline of ours, fail(), a listener that threw; PeerError: the
 * peer sent ERROR; or TransportError), 'close'.
 *
 * A listener of 'open', 'message', 'piece', 'pong' or 'end' that throws, or returns a
 * promise that rejects, fails this connection only: the peer gets ERROR internal-error,
 * whose reason says nothing of the exception (FW-ERR-6, FW-ERR-2), and 'error' carries
 * the exception as `cause`.
 */
/** @extends {EventEmitter<SessionEvents>} */
export class Session extends EventEmitter {
  /**
   * @param {net.Socket} socket a connected socket, created with allowHalfOpen: true
   * @param {NetSessionOptions} [options]
   */
  constructor(socket, options = {}) {
    super({ captureRejections: true });
    this.socket = socket;
    this.core = new SessionCore(options);
    this.handshakeTimeout = options.handshakeTimeout ?? 10000;
    this.frameTimeout = options.frameTimeout ?? 30000;
    this.lingerTimeout = options.lingerTimeout ?? 1000;
    /** @type {Error | null} */
    this.failure = null;
    this.closed = false;
    this._flushScheduled = false;
    this._waitingDrain = false;
    this._pausedForPongs = false;
    /** @type {NodeJS.Timeout | null} */
    this._handshakeTimer = null;
    /** @type {NodeJS.Timeout | null} */
    this._frameTimer = null;
    /** @type {NodeJS.Timeout | null} */
    this._lingerTimer = null;
    this._framesAtTimer = -1;
    /** PINGs awaiting their PONG, by data, oldest first (two PINGs may carry the same data;
     * created by the first pingMs(): most sessions never ping) */
    /** @type {Map<string, Array<{resolve: (ms: number) => void, reject: (e: Error) => void, t0: bigint}>> | null} */
    this._pingWaiters = null;
    /** messages received while nobody listens to 'message', for receive() */
    /** @type {Array<{type: number, flags: number, payload: Uint8Array}>} */
    this._inbox = [];
    this._inboxBytes = 0;
    this._pausedForInbox = false;
    this._pausedByApp = false;
    this._readingPaused = false;
    /** @type {Array<{resolve: (m: {type: number, flags: number, payload: Uint8Array} | null) => void, reject: (e: Error) => void}>} */
    this._receivers = [];
    this._peerEnded = false;
    /** @param {import('./session-core.js').SessionEvent} ev */
    this._sink = (ev) => this._dispatchOne(ev);

    socket.setNoDelay?.(true);
    // One set of listener functions serves every session (they find theirs on the socket),
    // so an idle connection holds no closures of its own.
    /** @type {SessionSocket} */ (socket)[SESSION] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('drain', onSocketDrain);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if (this.handshakeTimeout > 0) {
      this._handshakeTimer = setTimeout(() => this._timeout('handshake deadline expired before the peer\'s HELLO'), this.handshakeTimeout);
      this._handshakeTimer.unref?.();
    }
    this._flush(); // preface and HELLO at once (FW-SES-1)
  }

  /** the session state of section 6.8 */
  get state() {
    return this.core.state;
  }

  /** the peer's limits, once its HELLO is in */
  get peer() {
    return this.core.peer;
  }

  /**
   * Send a data message (type 0x40..0xFF); split for the peer's MAX_FRAME_SIZE.
   * Throws the failure after a failed connection (FW-SES-4), UsageError after end() (FW-CLS-6).
   * Returns false when the socket is backed up (as `stream.write` does): the caller should
   * send nothing more until 'drain', and a responder should pause() its reading meanwhile.
   * @param {number} type @param {Uint8Array} payload @param {{flags?: number, checksum?: boolean}} [options]
   * @returns {boolean}
   */
  send(type, payload, options) {
    if (this.failure !== null && !(this.failure instanceof FramewireError)) throw this.failure;
    this.core.send(type, payload, options);
    this._scheduleFlush();
    return !this._waitingDrain;
  }

  /**
   * Stream a data message out piece by piece (see SessionCore.sendPiece).
   * @param {number} type @param {Uint8Array} payload
   * @param {{flags?: number, checksum?: boolean, first?: boolean, last?: boolean}} [options]
   */
  sendPiece(type, payload, options) {
    if (this.failure !== null && !(this.failure instanceof FramewireError)) throw this.failure;
    this.core.sendPiece(type, payload, options);
    this._scheduleFlush();
  }

  /**
   * Send a PING; resolves with the round-trip time in milliseconds when the PONG comes
   * (named for its unit: Python's `ping()` returns seconds). With `timeout` (ms), a PONG
   * that does not come in time fails the connection with `timeout` (FW-PNG-4). Rejects
   * with the failure if the connection fails or closes first, at once when it is already
   * closed.
   * @param {Uint8Array} [data] 8 bytes
   * @param {{timeout?: number}} [options]
   * @returns {Promise<number>}
   */
  pingMs(data, options = {}) {
    if (this.closed) return Promise.reject(this.failure ?? new TransportError('connection closed'));
    const d = this.core.ping(data);
    const key = Buffer.from(d).toString('hex');
    this._scheduleFlush();
    return new Promise((resolve, reject) => {
      /** @type {NodeJS.Timeout | null} */
      let timer = null;
      if (options.timeout !== undefined) {
        timer = setTimeout(() => this._timeout(`no PONG within ${options.timeout} ms`), options.timeout);
        timer.unref?.();
      }
      const waiters = (this._pingWaiters ??= new Map());
      const same = waiters.get(key);
      const waiter = {
        resolve: (/** @type {number} */ ms) => {
          if (timer !== null) clearTimeout(timer);
          resolve(ms);
        },
        reject: (/** @type {Error} */ e) => {
          if (timer !== null) clearTimeout(timer);
          reject(e);
        },
        t0: process.hrtime.bigint(),
      };
      if (same === undefined) waiters.set(key, [waiter]);
      else same.push(waiter);
    });
  }

  /**
   * Await the next data message (when no 'message' listener is attached), or in stream
   * mode the next piece (when no 'piece' listener is attached). Resolves with null
   * at the peer's clean end; rejects with the failure of the connection (FW-SES-4), or with a
   * ReceiveTimeout when the deadline passes first (FW-LIM-7): the connection stays usable.
   * @param {{timeout?: number}} [options] deadline in ms from the call
   * @returns {Promise<{type: number, flags: number, payload: Uint8Array, first?: boolean, last?: boolean} | null>}
   */
  receive(options = {}) {
    const m = this._inbox.shift();
    if (m !== undefined) {
      this._inboxBytes -= m.payload.length;
      if (this._pausedForInbox && this._inbox.length < INBOX_MESSAGES && this._inboxBytes < INBOX_BYTES) {
        this._pausedForInbox = false;
        this._updateReading();
      }
      return Promise.resolve(m);
    }
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this._peerEnded) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      /** @type {NodeJS.Timeout | null} */
      let timer = null;
      const entry = {
        resolve: (/** @type {{type: number, flags: number, payload: Uint8Array} | null} */ v) => {
          if (timer !== null) clearTimeout(timer);
          resolve(v);
        },
        reject: (/** @type {Error} */ e) => {
          if (timer !== null) clearTimeout(timer);
          reject(e);
        },
      };
      this._receivers.push(entry);
      if (options.timeout !== undefined) {
        timer = setTimeout(() => {
          const i = this._receivers.indexOf(entry);
          if (i >= 0) this._receivers.splice(i, 1);
          reject(new ReceiveTimeout(options.timeout ?? 0));
        }, options.timeout);
      }
    });
  }

  /** true when frames wait for the socket to drain: the application should pause sending */
  get needsDrain() {
    return this._waitingDrain || this.core.hasOutput;
  }

  /**
   * Resolves once everything sent so far is handed to the socket and its buffer has room
   * (back-pressure for senders of many or large messages).
   * @returns {Promise<void>}
   */
  drained() {
    return new Promise((resolve) => {
      const check = () => {
        if (this.closed || this.failure !== null || (!this._waitingDrain && !this.core.hasOutput)) resolve();
        else this.once('drain', check);
      };
      process.nextTick(check);
    });
  }

  /**
   * Stop reading from the peer until resume(): what the peer sends meanwhile waits in the
   * kernel, and TCP's flow control slows the peer down. A responder (an echo server) calls it
   * when send() returns false, and resume() on 'drain', so that a peer that sends without
   * reading the replies cannot make it queue them without bound (FW-SEC-2). A session never
   * pauses on its own for its application's sends: two peers that both did would deadlock.
   */
  pause() {
    this._pausedByApp = true;
    this._updateReading();
  }

  /** true from pause() until resume() */
  get paused() {
    return this._pausedByApp;
  }

  /** Read again after pause() (the session may still hold reading paused for its own reasons). */
  resume() {
    this._pausedByApp = false;
    this._updateReading();
  }

  /** Pause or resume the socket as the reasons to hold reading say (application, inbox, PONGs). */
  _updateReading() {
    const pause = this._pausedByApp || this._pausedForInbox || this._pausedForPongs;
    if (pause === this._readingPaused || this.socket.destroyed) return;
    this._readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  /** Finish sending: half-close once everything queued is written (FW-CLS-1). */
  end() {
    this.core.end();
    this._scheduleFlush();
  }

  /**
   * Fail the connection ourselves: ERROR with `code` (`internal-error` for this side's own
   * fault, FW-ERR-6; `timeout` for a peer that does not answer, FW-PNG-4) and `detail`,
   * half-close, linger. The order is Python's `channel.fail(code, detail)`.
   * @param {string | number} code a registry name or number
   * @param {string} [detail]
   */
  fail(code, detail) {
    if (typeof code === 'string' && !BY_NAME.has(code)) {
      throw new UsageError(`fail(code, detail) takes a registry name or number first, not ${JSON.stringify(code)}`);
    }
    this._dispatch(this.core.fail(code, detail));
    this._flush();
  }

  /**
   * The application's code threw (or rejected) while serving this connection: fail it with
   * internal-error, with a reason that names the code but carries nothing of the
   * exception (FW-ERR-6, FW-ERR-2), and the exception as the local error's `cause`. When
   * the connection has already failed, or nobody listens to 'error', the exception is
   * also a process warning, so that it is not lost.
   * @param {string} what the code that threw, e.g. "'message' listener"
   * @param {unknown} exception
   */
  _applicationFailed(what, exception) {
    if (this.core.state === 'FAILED' || this.closed || this.listenerCount('error') === 0) {
      const shown = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      process.emitWarning(`a Framewire session's ${what} threw: ${shown}`, 'FramewireWarning');
    }
    this._dispatch(this.core.fail('internal-error', `the application's ${what} threw an exception`, exception));
    this._flush();
  }

  /**
   * A promise returned by a listener rejected (the emitter is created with captureRejections).
   * @param {unknown} exception @param {unknown} event the event's name
   * @param {...unknown} _args the event's arguments (unused; the base class passes them)
   */
  [EventEmitter.captureRejectionSymbol](exception, event, ..._args) {
    if (typeof event === 'string' && APPLICATION_EVENTS.has(event)) this._applicationFailed(`'${event}' listener`, exception);
    else
      process.nextTick(() => {
        throw exception; // as without captureRejections: an unhandled rejection
      });
  }

  /** Close the socket at once (no ERROR, no linger). */
  destroy() {
    this.socket.destroy();
  }

  _scheduleFlush() {
    if (this._flushScheduled) return;
    this._flushScheduled = true;
    process.nextTick(() => {
      this._flushScheduled = false;
      this._flush();
    });
  }

  _flush() {
    const s = this.socket;
    if (this.closed || this.core.writeClosed || s.destroyed) return;
    if (!this._waitingDrain && this.core.hasOutput) {
      const frames = this.core.takeOutput();
      let ok = true;
      if (frames.length === 1) ok = s.write(frames[0]);
      else {
        let total = 0;
        for (const f of frames) total += f.length;
        if (total <= 65536) ok = s.write(Buffer.concat(frames));
        else {
          // large output: one writev, no copy
          s.cork();
          for (const f of frames) ok = s.write(f);
          s.uncork();
        }
      }
      if (!ok) this._waitingDrain = true;
      else if (!this.core.hasOutput) this.emit('drain');
    }
    if (!this.core.hasOutput && this.core.wantsShutdown && !this.core.writeClosed) {
      this.core.markWriteClosed();
      s.end(); // half-close (FW-CLS-1, FW-SES-3)
      this._maybeLinger();
    }
  }

  /** Close once everything written has left (destroy() would drop a pending ERROR or echo). */
  _closeWhenFlushed() {
    const s = this.socket;
    if (s.destroyed) return;
    if (s.writableFinished) s.destroy();
    else s.once('finish', () => s.destroy());
  }

  /** After a failure, or when both directions are done: wait for end of input, then close. */
  _maybeLinger() {
    if (this._lingerTimer !== null || this.closed) return;
    if (this.core.state === 'FAILED' || (this.core.peerDone && this.core.writeClosed)) {
      if (this.core.peerDone || this.socket.readableEnded) {
        if (this.core.writeClosed) this._closeWhenFlushed();
        return;
      }
      this._lingerTimer = setTimeout(() => this.socket.destroy(), this.lingerTimeout);
      this._lingerTimer.unref?.();
    }
  }

  /** @param {Buffer} chunk */
  _onData(chunk) {
    if (this.core.state === 'FAILED') return; // discard without decoding (FW-SES-3)
    this.core.receive(chunk, this._sink);
    this._armFrameTimer();
    this._flush();
    // FW-SEC-2: a peer that PINGs but does not read must not fill our memory with PONGs
    if (this._waitingDrain && this.core.urgentCount >= MAX_QUEUED_PONGS && !this._pausedForPongs) {
      this._pausedForPongs = true;
      this._updateReading();
    }
  }

  _onDrain() {
    this._waitingDrain = false;
    this._flush();
    if (this._pausedForPongs && !this._waitingDrain) {
      this._pausedForPongs = false;
      this._updateReading();
    }
    if (!this._waitingDrain) this.emit('drain');
  }

  _onEnd() {
    this._clearTimers(false);
    this.core.receiveEnd(this._sink);
    this._flush();
    if (this.core.state === 'FAILED' && this.core.writeClosed) this._closeWhenFlushed();
    else this._maybeLinger();
  }

  _armFrameTimer() {
    // FW-LIM-9: the handshake deadline alone bounds the preface and the HELLO frame
    if (this.frameTimeout <= 0 || this.core.state === 'FAILED' || this.core.peer === null) return;
    const inFrame = this.core.inFrame;
    const n = this.core.framesDecoded;
    if (!inFrame) {
      if (this._frameTimer !== null) clearTimeout(this._frameTimer);
      this._frameTimer = null;
      return;
    }
    // a new frame started since the timer was set: the deadline runs from its first byte
    if (this._frameTimer === null || n !== this._framesAtTimer) {
      if (this._frameTimer !== null) clearTimeout(this._frameTimer);
      this._framesAtTimer = n;
      this._frameTimer = setTimeout(() => this._timeout('frame deadline expired before the frame was complete'), this.frameTimeout);
      this._frameTimer.unref?.();
    }
  }

  /** @param {string} detail */
  _timeout(detail) {
    if (this.core.state === 'FAILED') return;
    this._dispatch(this.core.fail('timeout', detail));
    this._flush();
  }

  /** @param {boolean} all */
  _clearTimers(all) {
    if (this._frameTimer !== null) clearTimeout(this._frameTimer);
    this._frameTimer = null;
    if (all) {
      if (this._handshakeTimer !== null) clearTimeout(this._handshakeTimer);
      this._handshakeTimer = null;
      if (this._lingerTimer !== null) clearTimeout(this._lingerTimer);
      this._lingerTimer = null;
    }
  }

  /** @param {import('./session-core.js').SessionEvent[]} events */
  _dispatch(events) {
    for (const ev of events) this._dispatchOne(ev);
  }

  /** @param {import('./session-core.js').SessionEvent} ev */
  _dispatchOne(ev) {
    try {
      this._deliver(ev);
    } catch (exception) {
      if (!APPLICATION_EVENTS.has(ev.kind)) throw exception; // an 'error' listener's: as Node does
      this._applicationFailed(`'${ev.kind}' listener`, exception);
    }
  }

  /** @param {import('./session-core.js').SessionEvent} ev */
  _deliver(ev) {
    {
      switch (ev.kind) {
        case 'open':
          if (this._handshakeTimer !== null) clearTimeout(this._handshakeTimer);
          this._handshakeTimer = null;
          this.emit('open', ev.peer);
          break;
        case 'piece':
        case 'message': {
          const m = ev; // {kind: 'message', type, flags, payload} or a piece (streaming mode)
          if (this.listenerCount(ev.kind) > 0) this.emit(ev.kind, m);
          else {
            const r = this._receivers.shift();
            if (r !== undefined) r.resolve(m);
            else {
              this._inbox.push(m);
              this._inboxBytes += m.payload.length;
              // back-pressure instead of a growing buffer (FW-LIM-4, 2.3): stop reading while
              // the application has not taken what was delivered
              if (!this._pausedForInbox && (this._inbox.length >= INBOX_MESSAGES || this._inboxBytes >= INBOX_BYTES)) {
                this._pausedForInbox = true;
                this._updateReading();
              }
            }
          }
          break;
        }
        case 'pong': {
          const key = Buffer.from(ev.data).toString('hex');
          const same = this._pingWaiters?.get(key);
          const w = same?.shift();
          if (same?.length === 0) this._pingWaiters?.delete(key);
          if (w !== undefined) w.resolve(Number(process.hrtime.bigint() - w.t0) / 1e6);
          this.emit('pong', ev.data);
          break;
        }
        case 'end':
          this._peerEnded = true;
          for (const r of this._receivers.splice(0)) r.resolve(null);
          this.emit('end');
          break;
        case 'error':
        case 'peer-error':
          this._clearTimers(false);
          if (this._handshakeTimer !== null) clearTimeout(this._handshakeTimer);
          this._handshakeTimer = null;
          this.failure = ev.error;
          this._rejectWaiters(ev.error);
          if (this.listenerCount('error') > 0) this.emit('error', ev.error);
          break;
      }
    }
  }

  /** @param {Error} e */
  _rejectWaiters(e) {
    for (const r of this._receivers.splice(0)) r.reject(e);
    if (this._pingWaiters === null) return;
    const waiters = this._pingWaiters;
    this._pingWaiters = null;
    for (const same of waiters.values()) for (const w of same) w.reject(e);
  }

  /** @param {Error} err */
  _onTransportError(err) {
    if (this.failure === null) {
      const e = new TransportError(`transport failed: ${err.message}`, err);
      this.failure = e;
      this._rejectWaiters(e);
      if (this.listenerCount('error') > 0) this.emit('error', e);
    }
  }

  _onClose() {
    this.closed = true;
    this._clearTimers(true);
    if (this.failure === null && !(this.core.peerDone && this.core.writeClosed)) {
      // closed before both directions ended cleanly (FW-SES-5)
      const e = new TransportError('connection closed before a clean end');
      this.failure = e;
      this._rejectWaiters(e);
      if (this.listenerCount('error') > 0) this.emit('error', e);
    }
    if (this._pingWaiters !== null || this._receivers.length > 0) {
      this._rejectWaiters(this.failure ?? new TransportError('connection closed'));
    }
    this.emit('drain'); // release drained() waiters
    this.emit('close');
  }
}

/** The deadline of a receive() call passed; the connection is still usable (FW-LIM-7). */
export class ReceiveTimeout extends Error {
  /** @param {number} ms */
  constructor(ms) {
    super(`no message within ${ms} ms`);
    this.name = 'FramewireReceiveTimeout';
  }
}
