// Output of a session (sans-I/O): frames to wire bytes, queued in order for the I/O layer.
// Small frames share batch buffers; a large frame's payload is queued itself, not copied.

import { crc32c } from './crc32c.js';
import { FLAG_C, HEADER_SIZE, TRAILER_SIZE, frameToWire, writeFrame, writeHeader, writeU32 } from './frame.js';
import { splitFrames } from './encoder.js';
import { uninitialised } from './memory.js';

/** frames up to this size are batched into one output buffer */
const SMALL_FRAME = 16384;
/** a payload at least this large is queued as it is, between its header and trailer */
const LARGE_PAYLOAD = 65536;
/**
 * The output batch adapts to the traffic: it doubles (up to BATCH_MAX) each time one fills
 * up before a flush, halves (down to BATCH_MIN) when a flush finds it mostly empty, and is
 * not kept from one flush to the next, so an idle connection holds no output buffer.
 */
const BATCH_MIN = 1024;
const BATCH_MAX = 262144;

/** The frames one side sends, as wire bytes in the order they go out (PONGs first). */
export class Sender {
  /** @param {import('./frame.js').Framing} framing */
  constructor(framing) {
    this.framing = framing;
    /** wire bytes waiting to be written, in order */
    /** @type {Uint8Array[]} */
    this._out = [];
    /** small frames are written into a shared batch buffer (sealed into _out in order) */
    /** @type {Uint8Array | null} */
    this._batch = null;
    this._batchFill = 0;
    this._batchSize = BATCH_MIN;
    /** PONGs jump ahead of data frames not yet handed out (FW-PNG-2) */
    /** @type {Uint8Array[]} */
    this._urgent = [];
  }

  get hasOutput() {
    return this._out.length > 0 || this._urgent.length > 0 || this._batchFill > 0;
  }

  /** PONGs queued and not yet taken */
  get urgentCount() {
    return this._urgent.length;
  }

  /** bytes of batch buffer held */
  get heldBytes() {
    return this._batch === null ? 0 : this._batch.length;
  }

  /**
   * Wire bytes waiting to be written, in order (PONGs first). Empties the queue.
   * @returns {Uint8Array[]}
   */
  take() {
    if (this._batch !== null) {
      if (this._batchFill * 4 <= this._batch.length) this._batchSize = Math.max(BATCH_MIN, this._batchSize >>> 1);
      this._seal();
      this._batch = null;
    }
    if (this._urgent.length === 0) {
      const out = this._out;
      this._out = [];
      return out;
    }
    const out = [...this._urgent, ...this._out];
    this._urgent = [];
    this._out = [];
    return out;
  }

  /** Drop the data not yet taken; the PONGs owed stay. */
  dropQueued() {
    this._out = [];
    this._batch = null;
    this._batchFill = 0;
  }

  /** Drop everything: the output is closed. */
  close() {
    this.dropQueued();
    this._urgent = [];
  }

  /**
   * A control frame (one frame, FW-TYP-3).
   * @param {number} type @param {Uint8Array} payload @param {boolean} checksum
   * @param {boolean} urgent ahead of the data frames not yet taken (a PONG)
   */
  control(type, payload, checksum, urgent) {
    const frame = new Uint8Array(HEADER_SIZE + payload.length + (checksum ? TRAILER_SIZE : 0));
    writeFrame(frame, 0, type, checksum ? FLAG_C : 0, payload);
    if (urgent) this._urgent.push(frameToWire(frame, this.framing));
    else this.push(frameToWire(frame, this.framing));
  }

  /**
   * A data message, or one piece of a streamed one, split for the peer's MAX_FRAME_SIZE.
   * @param {number} type @param {Uint8Array} payload
   * @param {number} appFlags @param {boolean} checksum @param {number} maxFrameSize
   * @param {boolean} first the piece starts the message @param {boolean} last it ends it
   */
  data(type, payload, appFlags, checksum, maxFrameSize, first, last) {
    const flags = (appFlags << 4) | (checksum ? FLAG_C : 0);
    if (this.framing === 'length-prefixed' && first && last && payload.length <= maxFrameSize) {
      this._single(type, flags, payload); // the common case: one frame
      return;
    }
    splitFrames(payload.length, maxFrameSize, flags, first, last, (fl, start, end) => {
      if (this.framing === 'length-prefixed') {
        this._single(type, fl, start === 0 && end === payload.length ? payload : payload.subarray(start, end));
        return;
      }
      const frame = new Uint8Array(HEADER_SIZE + end - start + (checksum ? TRAILER_SIZE : 0));
      writeFrame(frame, 0, type, fl, payload, start, end);
      this.push(frameToWire(frame, this.framing));
    });
  }

  /**
   * One length-prefixed frame: written into the batch (small), or its header, the payload
   * itself and its trailer queued (large: no copy), or into a buffer of its own.
   * @param {number} type @param {number} flags the whole flags byte @param {Uint8Array} payload
   */
  _single(type, flags, payload) {
    const checksum = (flags & FLAG_C) !== 0;
    const size = HEADER_SIZE + payload.length + (checksum ? TRAILER_SIZE : 0);
    if (size <= SMALL_FRAME) {
      if (this._batch === null || this._batch.length - this._batchFill < size) {
        if (this._batch !== null) this._batchSize = Math.min(BATCH_MAX, this._batchSize * 2);
        this._seal();
        this._batch = uninitialised(Math.max(this._batchSize, size));
      }
      this._batchFill = writeFrame(/** @type {Uint8Array} */ (this._batch), this._batchFill, type, flags, payload);
      return;
    }
    if (payload.length >= LARGE_PAYLOAD) {
      const header = new Uint8Array(HEADER_SIZE);
      writeHeader(header, 0, type, flags, payload.length);
      this.push(header);
      this._out.push(payload);
      if (checksum) {
        const trailer = new Uint8Array(TRAILER_SIZE);
        writeU32(trailer, 0, crc32c(payload, crc32c(header)));
        this._out.push(trailer);
      }
      return;
    }
    const frame = new Uint8Array(size);
    writeFrame(frame, 0, type, flags, payload);
    this.push(frame);
  }

  /** Move the small-frame batch, if any, to the output queue (keeps the order of frames). */
  _seal() {
    if (this._batch !== null && this._batchFill > 0) {
      this._out.push(this._batch.subarray(0, this._batchFill));
      this._batch = this._batch.length - this._batchFill >= SMALL_FRAME ? this._batch.subarray(this._batchFill) : null;
      this._batchFill = 0;
    }
  }

  /**
   * Bytes to send as they are (the preface, a frame), after everything queued before.
   * @param {Uint8Array} bytes
   */
  push(bytes) {
    this._seal();
    this._out.push(bytes);
  }
}
