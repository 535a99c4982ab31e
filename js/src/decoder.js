// Streaming decoders (sans-I/O): bytes in through feed(), events out.
//
// Event kinds:
//   { kind: 'message', type, flags, payload }   a complete message (flags = application flags 0..15)
//   { kind: 'piece', type, flags, payload, first, last }   (option `pieces`) every accepted data frame
//   { kind: 'error', error, fatal }             a RemoteProtocolError; fatal = decoding stopped
//   { kind: 'end' }                             clean end of input (at a frame boundary, outside a message)

import { RemoteProtocolError, UsageError } from './errors.js';
import { crc32c } from './crc32c.js';
import { uninitialised } from './memory.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  FLAG_C,
  FLAG_M,
  FLAG_N,
  HEADER_SIZE,
  TRAILER_SIZE,
  checkHeader,
  checkLimits,
  delimitedBound,
  isControlType,
  normaliseFraming,
  readU32,
} from './frame.js';

/**
 * @typedef {{kind: 'message', type: number, flags: number, payload: Uint8Array}} MessageEvent
 * @typedef {{kind: 'piece', type: number, flags: number, payload: Uint8Array, first: boolean, last: boolean}} PieceEvent
 * @typedef {{kind: 'error', error: RemoteProtocolError, fatal: boolean}} ErrorEvent
 *   `fatal`: decoding stopped (every length-prefixed error, end-of-input errors, `fatal` mode)
 * @typedef {{kind: 'end'}} EndEvent
 * @typedef {MessageEvent | PieceEvent | ErrorEvent | EndEvent} DecoderEvent
 */

/**
 * @typedef {object} DecoderOptions
 * @property {import('./frame.js').Framing | 'L' | 'D'} [framing]  default 'length-prefixed'
 * @property {number} [maxFrameSize]    default 1 MiB (FW-LIM-1)
 * @property {number} [maxMessageSize]  default 16 MiB; 0 = no limit
 * @property {boolean} [hunting]        delimited: discard up to the first 0x00 (FW-DLM-8)
 * @property {boolean} [fatal]          delimited: stop at the first error (as in a session, FW-DLM-9)
 * @property {boolean} [pieces]         also emit a 'piece' event for every accepted data frame (FW-MSG-15)
 * @property {boolean} [assemble]       emit 'message' events for data messages (default true)
 * @property {(type: number, flags: number, length: number) => RemoteProtocolError | null} [accept]
 *   the session state check (FW-SES-6, `unexpected-message`): called for each frame right
 *   before the message rules, i.e. after the header checks in length-prefixed framing
 *   (FW-HDR-7) and after the integrity checks in delimited framing (FW-HDR-8); a returned
 *   error is fatal.
 */

const S_HEADER = 0;
const S_BODY = 1;
const S_TRAILER = 2;
const S_FAILED = 3;
const S_ENDED = 4;

const BLOCK = 65536;

/**
 * Receive memory adapts to the traffic (FW-LEN-4, FW-LIM-4). The body of a frame that
 * arrives in pieces is not allocated from its header: when what has arrived no longer fits,
 * its buffer grows to BODY_AHEAD times that (at least BODY_MIN bytes, at most the frame's
 * length), so a peer that announces a large frame and stalls is given memory in proportion
 * to what it has sent. The first piece stays a view of its chunk when that chunk's memory
 * is within the same bound, so a large frame arriving in 64 KiB reads is allocated once,
 * from its first two reads, and each byte copied once.
 * Once the frame is delivered the decoder lets go of it. A delimited frame buffer larger
 * than IDLE_BUFFER is dropped when a feed() ends between frames, so an idle connection
 * holds almost nothing whatever its traffic was.
 */
const BODY_MIN = 4096;
const BODY_AHEAD = 16;
const IDLE_BUFFER = 4096;
const NO_BYTES = new Uint8Array(0);

/**
 * Payload of a message in progress, copied into blocks of 64 KiB so that the memory held is
 * the payload so far plus a constant, whatever the frame sizes (FW-SEC-1): no record per
 * frame, and no view that keeps a larger input chunk alive.
 */
class Assembly {
  constructor() {
    /** @type {Uint8Array[]} */
    this.blocks = [];
    this.fill = 0; // bytes used in the last block
    this.size = 0;
  }

  /** @param {Uint8Array} p */
  add(p) {
    let off = 0;
    while (off < p.length) {
      let last = this.blocks[this.blocks.length - 1];
      if (last === undefined || this.fill === last.length) {
        last = uninitialised(Math.max(BLOCK, Math.min(p.length - off, 16 * BLOCK)));
        this.blocks.push(last);
        this.fill = 0;
      }
      const n = Math.min(last.length - this.fill, p.length - off);
      last.set(p.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
    this.size += p.length;
  }

  /** bytes allocated for the payload so far */
  get capacity() {
    let n = 0;
    for (const b of this.blocks) n += b.length;
    return n;
  }

  /** @returns {Uint8Array} the whole payload */
  take() {
    if (this.blocks.length === 1) {
      const b = this.blocks[0];
      return this.size === b.length ? b : b.slice(0, this.size); // no 64 KiB block kept for a small message
    }
    const out = uninitialised(this.size);
    let o = 0;
    for (let i = 0; i < this.blocks.length; i++) {
      const b = i === this.blocks.length - 1 ? this.blocks[i].subarray(0, this.fill) : this.blocks[i];
      out.set(b, o);
      o += b.length;
    }
    return out;
  }
}

/** Message state and rules shared by both framings (spec/messages.md, section 5). */
class Base {
  /** @param {DecoderOptions} options */
  constructor(options) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    checkLimits(this.maxFrameSize, this.maxMessageSize);
    this.pieces = options.pieces ?? false;
    this.assemble = options.assemble ?? true;
    this.accept = options.accept ?? null;
    /** every error stops decoding */
    this.fatal = true;
    /** @type {DecoderEvent[]} */
    this._out = [];
    // message in progress
    this._inMsg = false;
    this._msgType = 0;
    this._msgFlags = 0;
    this._msgSize = 0;
    /** @type {Assembly | null} */
    this._asm = null;
    /** the first error that stopped decoding (fatal mode) */
    /** @type {RemoteProtocolError | null} */
    this.failure = null;
    /** frames and messages delivered, for statistics */
    this.framesDecoded = 0;
    /** the input being decoded, and how far */
    /** @type {Uint8Array} */
    this._chunk = NO_BYTES;
    this._pos = 0;
    /** the decoding loop goes on while this is true */
    this._loop = false;
    /** stop after each control message, so that a session acts on it before what follows is
     * decoded (its HELLO changes which frames it accepts) */
    this._untilControl = false;
  }

  /**
   * Input to decode from its start.
   * @param {Uint8Array} chunk
   */
  _hold(chunk) {
    this._chunk = chunk;
    this._pos = 0;
  }

  /**
   * Decode the held input: each step runs the method of the decoder's state, which consumes
   * what it can and picks the next state, until the input is used up, decoding stops, or
   * (with `untilControl`) a control message was delivered.
   * @param {boolean} untilControl
   */
  _run(untilControl) {
    this._untilControl = untilControl;
    this._loop = true;
    while (this._loop && this._pos < this._chunk.length) this._step();
    if (this._pos >= this._chunk.length || this.failed) this._hold(NO_BYTES);
    this._settle();
  }

  /** @abstract */
  _step() {
    throw new Error('not implemented');
  }

  /** @abstract */
  get failed() {
    return false;
  }

  /** After a run: let go of memory an idle decoder does not need. */
  _settle() {}

  /** true while held input is not yet decoded (a session stopped at a control message) */
  get _pending() {
    return this._pos < this._chunk.length;
  }

  /** true while a data message is in progress */
  get inMessage() {
    return this._inMsg;
  }

  /** bytes of receive memory held for the message in progress */
  get _messageBytes() {
    return this._asm === null ? 0 : this._asm.capacity;
  }

  /**
   * @param {string} name @param {string} statement @param {string} detail
   * @param {boolean} [fatal] default: this decoder's mode (true in length-prefixed framing)
   */
  _error(name, statement, detail, fatal = this.fatal) {
    const error = new RemoteProtocolError(name, detail, { statement });
    this._out.push({ kind: 'error', error, fatal });
    return error;
  }

  _dropMessage() {
    this._inMsg = false;
    this._asm = null;
    this._msgSize = 0;
  }

  /**
   * Session hook and message rules of 5.3 for a frame whose header checks passed.
   * Returns 'ok' to go on, 'drop' when the frame is dropped (recoverable), 'fail' when fatal.
   * @param {number} type @param {number} flags @param {number} length @param {boolean} fatal
   * @returns {'ok' | 'drop' | 'fail'}
   */
  _rules(type, flags, length, fatal) {
    if (this.accept !== null) {
      const e = this.accept(type, flags, length);
      if (e !== null) {
        this._out.push({ kind: 'error', error: e, fatal: true });
        return 'fail';
      }
    }
    if (isControlType(type)) return 'ok';
    const cont = (flags & FLAG_N) !== 0;
    if (cont && !this._inMsg) {
      this._error('unexpected-continuation', 'FW-MSG-7', `continuation frame of type 0x${type.toString(16)} with no message in progress`);
      return fatal ? 'fail' : 'drop';
    }
    let interrupted = false;
    if (!cont && this._inMsg) {
      this._error('message-interrupted', 'FW-MSG-8', `start frame while a message of type 0x${this._msgType.toString(16)} is in progress (${this._msgSize} bytes so far)`);
      this._dropMessage();
      if (fatal) return 'fail';
      interrupted = true; // the new frame starts a new message (FW-MSG-13)
    }
    const app = flags >>> 4;
    if (cont && (type !== this._msgType || app !== this._msgFlags)) {
      this._error(
        'continuation-mismatch',
        'FW-MSG-9',
        `continuation type 0x${type.toString(16)} flags ${app}, message type 0x${this._msgType.toString(16)} flags ${this._msgFlags}`,
      );
      this._dropMessage();
      return fatal ? 'fail' : 'drop';
    }
    const total = (cont ? this._msgSize : 0) + length;
    if (this.maxMessageSize !== 0 && total > this.maxMessageSize) {
      // one frame gives at most one error (3.7): a new start frame after message-interrupted
      // that is itself too large is dropped without a second error
      if (interrupted) return 'drop';
      this._error('message-too-large', 'FW-MSG-10', `message payload would reach ${total} bytes > maximum message size ${this.maxMessageSize}`);
      this._dropMessage();
      return fatal ? 'fail' : 'drop';
    }
    return 'ok';
  }

  /**
   * A frame that passed every check: update the message state and deliver.
   * @param {number} type @param {number} flags @param {Uint8Array} payload
   */
  _frame(type, flags, payload) {
    this.framesDecoded++;
    if (isControlType(type)) {
      this._out.push({ kind: 'message', type, flags: 0, payload });
      if (this._untilControl) this._loop = false;
      return;
    }
    const app = flags >>> 4;
    const more = (flags & FLAG_M) !== 0;
    const cont = (flags & FLAG_N) !== 0;
    if (this.pieces) this._out.push({ kind: 'piece', type, flags: app, payload, first: !cont, last: !more });
    if (!cont) {
      if (!more) {
        if (this.assemble) this._out.push({ kind: 'message', type, flags: app, payload });
        return;
      }
      this._inMsg = true;
      this._msgType = type;
      this._msgFlags = app;
      this._msgSize = payload.length;
      if (this.assemble) {
        this._asm = new Assembly();
        this._asm.add(payload);
      }
      return;
    }
    this._msgSize += payload.length;
    if (this._asm !== null) this._asm.add(payload);
    if (!more) {
      const asm = this._asm;
      this._dropMessage();
      if (asm !== null) this._out.push({ kind: 'message', type, flags: app, payload: asm.take() });
    }
  }

  /** End of input at a frame boundary (FW-MSG-11, FW-CLS-2). */
  _endAtBoundary() {
    if (this._inMsg) {
      this._error('truncated-message', 'FW-MSG-11', `input ended inside a message of type 0x${this._msgType.toString(16)} after ${this._msgSize} bytes`, true);
      this._dropMessage();
    } else {
      this._out.push({ kind: 'end' });
    }
  }

  _take() {
    const out = this._out;
    this._out = [];
    return out;
  }
}

/** Streaming decoder for length-prefixed framing (section 4.1). Every error is fatal (FW-LPF-3). */
export class LengthPrefixedDecoder extends Base {
  /** @param {DecoderOptions} [options] */
  constructor(options = {}) {
    super(options);
    this.framing = 'length-prefixed';
    this._state = S_HEADER;
    /** a header split across chunks (allocated when one first is) */
    /** @type {Uint8Array | null} */
    this._hbuf = null;
    this._hfill = 0;
    this._type = 0;
    this._flags = 0;
    this._len = 0;
    this._crc = 0;
    /** the frame body received so far (grown as it arrives, see BODY_AHEAD) */
    /** @type {Uint8Array} */
    this._body = NO_BYTES;
    this._bfill = 0;
    /** @type {Uint8Array | null} */
    this._tbuf = null;
    this._tfill = 0;
  }

  /** true while part of a frame is buffered */
  get inFrame() {
    return this._state === S_BODY || this._state === S_TRAILER || (this._state === S_HEADER && this._hfill > 0);
  }

  /** true once decoding stopped on an error */
  get failed() {
    return this._state === S_FAILED;
  }

  /** bytes of receive memory held: the frame body and the message in progress */
  get heldBytes() {
    return this._body.buffer.byteLength + this._messageBytes;
  }

  /**
   * @param {RemoteProtocolError} e
   */
  _fail(e) {
    this.failure = e;
    this._state = S_FAILED;
    this._body = NO_BYTES;
  }

  /**
   * Room for `n` more body bytes: grown from what has arrived, never from the header.
   * @param {number} n
   */
  _reserve(n) {
    const need = this._bfill + n;
    if (need <= this._body.length) return;
    const body = uninitialised(Math.min(this._len, Math.max(need * BODY_AHEAD, BODY_MIN)));
    body.set(this._body.subarray(0, this._bfill));
    this._body = body;
  }

  /** The completed body (exactly `length` long), released by the decoder. */
  _takeBody() {
    const body = this._body;
    this._body = NO_BYTES;
    return body;
  }

  /**
   * Feed bytes; returns the events they complete. Payloads may be views of `chunk`:
   * do not modify a chunk after feeding it.
   * @param {Uint8Array} chunk
   * @returns {DecoderEvent[]}
   */
  feed(chunk) {
    if (this._state === S_ENDED) throw new UsageError('feed() after end()');
    this._hold(chunk);
    this._run(false);
    return this._take();
  }

  /** One step of the decoding loop: the method of the current state. */
  _step() {
    switch (this._state) {
      case S_HEADER:
        this._readHeader();
        break;
      case S_BODY:
        this._readBody();
        break;
      case S_TRAILER:
        this._readTrailer();
        break;
      default:
        this._loop = false; // failed: the rest of the input is discarded
    }
  }

  /**
   * S_HEADER: the 9 header bytes (from the chunk itself when they are all in it), then its
   * checks. A frame whose body and trailer are in the chunk too is delivered here, its
   * payload a view of the chunk (no copy), and frames that lie whole in the chunk follow
   * one another in this method, without a turn of the dispatch loop each.
   */
  _readHeader() {
    const chunk = this._chunk;
    const len = chunk.length;
    let pos = this._pos;
    for (;;) {
      /** @type {Uint8Array} */
      let h;
      let hoff;
      if (this._hfill === 0 && len - pos >= HEADER_SIZE) {
        h = chunk;
        hoff = pos;
        pos += HEADER_SIZE;
      } else {
        const n = Math.min(HEADER_SIZE - this._hfill, len - pos);
        this._hbuf ??= new Uint8Array(HEADER_SIZE);
        this._hbuf.set(chunk.subarray(pos, pos + n), this._hfill);
        this._hfill += n;
        pos += n;
        this._pos = pos;
        if (this._hfill < HEADER_SIZE) return;
        this._hfill = 0;
        h = this._hbuf;
        hoff = 0;
      }
      this._pos = pos;
      const fault = checkHeader(h, hoff, this.maxFrameSize);
      if (fault !== null) {
        this._fail(this._error(fault.name, fault.statement, fault.detail));
        return;
      }
      const flags = h[hoff + 3];
      const type = h[hoff + 4];
      const length = readU32(h, hoff + 5);
      if ((this.accept !== null || !isControlType(type)) && this._rules(type, flags, length, true) !== 'ok') {
        this._fail(/** @type {ErrorEvent} */ (this._out[this._out.length - 1]).error);
        return;
      }
      const hasC = (flags & FLAG_C) !== 0;
      const crc = hasC ? crc32c(h, 0, hoff, hoff + HEADER_SIZE) : 0;
      const end = pos + length;
      if (len - end < (hasC ? TRAILER_SIZE : 0)) {
        // the rest of the frame comes in later chunks
        this._type = type;
        this._flags = flags;
        this._len = length;
        this._crc = crc;
        this._body = NO_BYTES; // grown as the body arrives (FW-LEN-4, FW-LIM-3)
        this._bfill = 0;
        this._tfill = 0;
        this._state = length > 0 ? S_BODY : S_TRAILER;
        return;
      }
      if (hasC) {
        const got = readU32(chunk, end);
        const want = crc32c(chunk, crc, pos, end);
        if (got !== want) {
          this._checksumMismatch(got, want);
          return;
        }
        this._pos = end + TRAILER_SIZE;
      } else {
        this._pos = end;
      }
      this._frame(type, flags, chunk.subarray(pos, end));
      pos = this._pos;
      if (!this._loop || len - pos < HEADER_SIZE) return;
    }
  }

  /** S_BODY: body bytes into the frame's buffer; then the trailer, or the frame. */
  _readBody() {
    const chunk = this._chunk;
    const pos = this._pos;
    const n = Math.min(this._len - this._bfill, chunk.length - pos);
    if (this._bfill === 0 && chunk.buffer.byteLength <= n * BODY_AHEAD + BODY_MIN) {
      // the body's first piece, at the end of the chunk: kept as a view of the chunk (whose
      // memory is within the bound of what has arrived), so that the buffer the rest
      // arrives in is sized from both, and each byte is copied once
      this._body = chunk.subarray(pos, pos + n);
    } else {
      this._reserve(n);
      this._body.set(chunk.subarray(pos, pos + n), this._bfill);
    }
    if (this._flags & FLAG_C) this._crc = crc32c(chunk, this._crc, pos, pos + n);
    this._bfill += n;
    this._pos = pos + n;
    if (this._bfill < this._len) return;
    if (this._flags & FLAG_C) this._state = S_TRAILER;
    else this._deliverBody();
  }

  /** S_TRAILER: the 4 CRC-32C bytes, checked against the CRC of header and body. */
  _readTrailer() {
    const chunk = this._chunk;
    const n = Math.min(TRAILER_SIZE - this._tfill, chunk.length - this._pos);
    this._tbuf ??= new Uint8Array(TRAILER_SIZE);
    this._tbuf.set(chunk.subarray(this._pos, this._pos + n), this._tfill);
    this._tfill += n;
    this._pos += n;
    if (this._tfill < TRAILER_SIZE) return;
    const got = readU32(this._tbuf, 0);
    if (got !== this._crc) this._checksumMismatch(got, this._crc);
    else this._deliverBody();
  }

  /** The buffered frame is complete: deliver it and wait for the next header. */
  _deliverBody() {
    this._state = S_HEADER;
    this._frame(this._type, this._flags, this._takeBody());
  }

  /** @param {number} got @param {number} want */
  _checksumMismatch(got, want) {
    this._fail(this._error('checksum-mismatch', 'FW-CRC-3', `trailer 0x${got.toString(16)}, computed 0x${want.toString(16)}`));
  }

  /**
   * End of input (FW-LPF-4, FW-MSG-11). Returns the final events.
   * @returns {DecoderEvent[]}
   */
  end() {
    if (this._state === S_ENDED) throw new UsageError('end() called twice');
    if (this._state === S_FAILED) {
      this._state = S_ENDED;
      return [];
    }
    if (this.inFrame) {
      this._error('truncated-frame', 'FW-LPF-4', 'input ended inside a frame', true);
      this._dropMessage();
    } else {
      this._endAtBoundary();
    }
    this._state = S_ENDED;
    return this._take();
  }
}

const D_FRAME = 0;
const D_DISCARD = 1; // after frame-too-large, up to the next 0x00 (FW-DLM-4)
const D_HUNT = 2; // FW-DLM-8
const D_FAILED = 3;
const D_ENDED = 4;

/**
 * Streaming decoder for delimited (COBS) framing (section 4.2). Errors are recoverable
 * (FW-DLM-6) unless `fatal` is set.
 */
export class DelimitedDecoder extends Base {
  /** @param {DecoderOptions} [options] */
  constructor(options = {}) {
    super(options);
    this.framing = 'delimited';
    this.fatal = options.fatal ?? false;
    /** largest encoded frame accepted (FW-DLM-4) */
    this.bound = delimitedBound(this.maxFrameSize);
    this._state = options.hunting ? D_HUNT : D_FRAME;
    this._enc = 0; // encoded bytes of the current frame so far
    /** @type {Uint8Array} */
    this._buf = new Uint8Array(64);
    this._fill = 0; // decoded bytes
    this._rem = 0; // bytes left in the current COBS block
    this._zero = false; // a 0x00 is owed before the next block
  }

  get inFrame() {
    return this._state === D_FRAME && this._enc > 0;
  }

  get failed() {
    return this._state === D_FAILED;
  }

  /** bytes of receive memory held: the frame buffer and the message in progress */
  get heldBytes() {
    return this._buf.length + this._messageBytes;
  }

  /**
   * @param {number} extra
   */
  _ensure(extra) {
    const need = this._fill + extra;
    if (need <= this._buf.length) return;
    let cap = this._buf.length * 2;
    while (cap < need) cap *= 2;
    cap = Math.min(cap, this.bound);
    const nb = new Uint8Array(Math.max(cap, need));
    nb.set(this._buf.subarray(0, this._fill));
    this._buf = nb;
  }

  _resetFrame() {
    this._enc = 0;
    this._fill = 0;
    this._rem = 0;
    this._zero = false;
  }

  /**
   * Decode encoded bytes chunk[pos..end) (no 0x00 among them) into the frame buffer.
   * Returns false on a code byte of 0 (impossible here) - COBS overrun is detected at the delimiter.
   * @param {Uint8Array} chunk @param {number} pos @param {number} end
   */
  _decode(chunk, pos, end) {
    this._ensure(end - pos);
    const buf = this._buf;
    let fill = this._fill;
    while (pos < end) {
      if (this._rem === 0) {
        if (this._zero) buf[fill++] = 0;
        const c = chunk[pos++];
        this._rem = c - 1;
        this._zero = c !== 0xff;
        continue;
      }
      const n = Math.min(this._rem, end - pos);
      buf.set(chunk.subarray(pos, pos + n), fill);
      fill += n;
      pos += n;
      this._rem -= n;
    }
    this._fill = fill;
  }

  /**
   * @param {RemoteProtocolError} e
   */
  _fatal(e) {
    this.failure = e;
    this._state = D_FAILED;
  }

  /**
   * A frame error: drop the frame and the message in progress (FW-MSG-14).
   * @param {string} name @param {string} statement @param {string} detail
   * @returns {boolean} true when decoding must stop
   */
  _frameError(name, statement, detail) {
    const e = this._error(name, statement, detail);
    this._dropMessage();
    if (this.fatal) {
      this._fatal(e);
      return true;
    }
    return false;
  }

  /**
   * The delimiter of a non-empty frame arrived.
   * A frame error leaves the decoder in D_FAILED when it is fatal: the loop stops there.
   */
  _complete() {
    if (this._rem > 0) {
      this._frameError('cobs-invalid', 'FW-COB-2', `code byte announces ${this._rem} more bytes than remain before the delimiter`);
      return;
    }
    const f = this._buf;
    const n = this._fill;
    if (n < HEADER_SIZE) {
      this._frameError('length-mismatch', 'FW-DLM-3', `decoded frame of ${n} bytes is shorter than the 9-byte header`);
      return;
    }
    const fault = checkHeader(f, 0, this.maxFrameSize);
    if (fault !== null) {
      this._frameError(fault.name, fault.statement, fault.detail);
      return;
    }
    const flags = f[3];
    const type = f[4];
    const length = readU32(f, 5);
    const hasC = (flags & FLAG_C) !== 0;
    const expect = HEADER_SIZE + length + (hasC ? TRAILER_SIZE : 0);
    if (n !== expect) {
      this._frameError('length-mismatch', 'FW-DLM-3', `decoded frame is ${n} bytes, header says ${expect}`);
      return;
    }
    if (hasC) {
      const got = readU32(f, n - TRAILER_SIZE);
      const want = crc32c(f, 0, 0, n - TRAILER_SIZE);
      if (got !== want) {
        this._frameError('checksum-mismatch', 'FW-CRC-3', `trailer 0x${got.toString(16)}, computed 0x${want.toString(16)}`);
        return;
      }
    }
    // then the session state check and the message rules (FW-HDR-8)
    const r = this._rules(type, flags, length, this.fatal);
    if (r !== 'ok') {
      if (r === 'fail') this._fatal(/** @type {ErrorEvent} */ (this._out[this._out.length - 1]).error);
      return;
    }
    // copy the payload out so that the frame buffer can be reused
    const payload = f.slice(HEADER_SIZE, HEADER_SIZE + length);
    this._frame(type, flags, payload);
  }

  /**
   * Feed bytes; returns the events they complete.
   * @param {Uint8Array} chunk
   * @returns {DecoderEvent[]}
   */
  feed(chunk) {
    if (this._state === D_ENDED) throw new UsageError('feed() after end()');
    this._hold(chunk);
    this._run(false);
    return this._take();
  }

  /** One step of the decoding loop: the method of the current state. */
  _step() {
    switch (this._state) {
      case D_FRAME:
        this._readFrame();
        break;
      case D_HUNT:
      case D_DISCARD:
        this._skipToDelimiter();
        break;
      default:
        this._loop = false; // failed: the rest of the input is discarded
    }
  }

  /** Between feeds, a large frame buffer is not kept for an idle connection. */
  _settle() {
    if (this._enc === 0 && this._buf.length > IDLE_BUFFER) this._buf = new Uint8Array(64);
  }

  /** D_HUNT, D_DISCARD: skip up to and including the next 0x00, then a frame starts. */
  _skipToDelimiter() {
    const z = this._chunk.indexOf(0, this._pos);
    if (z < 0) {
      this._pos = this._chunk.length;
      return;
    }
    this._pos = z + 1;
    this._state = D_FRAME;
    this._resetFrame();
  }

  /** D_FRAME: encoded bytes up to the next 0x00 (or the chunk's end), then the frame's checks. */
  _readFrame() {
    const chunk = this._chunk;
    const pos = this._pos;
    const z = chunk.indexOf(0, pos);
    const stop = z < 0 ? chunk.length : z;
    const n = stop - pos;
    if (this._enc + n > this.bound) {
      const over = this._enc + n;
      this._resetFrame();
      // at once, whatever the (partly decoded) header says (FW-DLM-4)
      if (!this._frameError('frame-too-large', 'FW-DLM-4', `encoded frame exceeds ${this.bound} bytes (${over} so far) before its delimiter`)) {
        this._state = D_DISCARD;
      }
      return;
    }
    if (n > 0) {
      if (this._enc === 0 && z >= 0 && this._buf.length < n) {
        this._buf = new Uint8Array(n); // the decoded frame is shorter than its encoding
      }
      this._decode(chunk, pos, stop);
      this._enc += n;
    }
    this._pos = stop;
    if (z < 0) return;
    this._pos = z + 1;
    if (this._enc > 0) {
      this._complete();
      if (this._buf.length > 65536) this._buf = new Uint8Array(64);
      this._resetFrame();
    }
    // else: an empty frame, silently ignored (FW-DLM-2)
  }

  /**
   * End of input (FW-DLM-5, FW-MSG-11).
   * @returns {DecoderEvent[]}
   */
  end() {
    if (this._state === D_ENDED) throw new UsageError('end() called twice');
    const st = this._state;
    this._state = D_ENDED;
    if (st === D_FAILED) return [];
    if (st === D_FRAME && this._enc > 0) {
      this._error('truncated-frame', 'FW-DLM-5', `input ended ${this._enc} bytes into a frame, before its delimiter`, true);
      this._dropMessage();
    } else {
      this._endAtBoundary();
    }
    return this._take();
  }
}

/**
 * A streaming decoder for the given framing.
 * @param {DecoderOptions} [options]
 * @returns {LengthPrefixedDecoder | DelimitedDecoder}
 */
export function createDecoder(options = {}) {
  return normaliseFraming(options.framing) === 'length-prefixed'
    ? new LengthPrefixedDecoder(options)
    : new DelimitedDecoder(options);
}

/**
 * Decode a whole input at once: feed(bytes) then end().
 * @param {Uint8Array} bytes
 * @param {DecoderOptions} [options]
 * @returns {DecoderEvent[]}
 */
export function decodeAll(bytes, options = {}) {
  const d = createDecoder(options);
  return [...d.feed(bytes), ...d.end()];
}
