// Error registry of spec/errors.md (section 8) and the error classes of this package.

/**
 * @typedef {object} RegistryEntry
 * @property {number} code
 * @property {string} name
 * @property {string} statement   the first statement that defines the error
 * @property {boolean} errorFrame whether a session sends an ERROR frame for it
 */

/** @type {ReadonlyArray<RegistryEntry>} */
export const REGISTRY = Object.freeze([
  { code: 100, name: 'bad-magic', statement: 'FW-HDR-4', errorFrame: true },
  { code: 101, name: 'unsupported-version', statement: 'FW-HDR-5', errorFrame: true },
  { code: 102, name: 'reserved-flag', statement: 'FW-FLG-1', errorFrame: true },
  { code: 103, name: 'reserved-type', statement: 'FW-TYP-2', errorFrame: true },
  { code: 104, name: 'fragmented-control', statement: 'FW-TYP-3', errorFrame: true },
  { code: 105, name: 'frame-too-large', statement: 'FW-LEN-3', errorFrame: true },
  { code: 106, name: 'length-mismatch', statement: 'FW-DLM-3', errorFrame: true },
  { code: 107, name: 'cobs-invalid', statement: 'FW-COB-2', errorFrame: true },
  { code: 108, name: 'checksum-mismatch', statement: 'FW-CRC-3', errorFrame: true },
  { code: 109, name: 'truncated-frame', statement: 'FW-LPF-4', errorFrame: false },
  { code: 200, name: 'unexpected-continuation', statement: 'FW-MSG-7', errorFrame: true },
  { code: 201, name: 'message-interrupted', statement: 'FW-MSG-8', errorFrame: true },
  { code: 202, name: 'continuation-mismatch', statement: 'FW-MSG-9', errorFrame: true },
  { code: 203, name: 'message-too-large', statement: 'FW-MSG-10', errorFrame: true },
  { code: 204, name: 'truncated-message', statement: 'FW-MSG-11', errorFrame: false },
  { code: 300, name: 'bad-preface', statement: 'FW-PRE-2', errorFrame: false },
  { code: 301, name: 'handshake-incomplete', statement: 'FW-PRE-3', errorFrame: false },
  { code: 302, name: 'unexpected-message', statement: 'FW-SES-6', errorFrame: true },
  { code: 303, name: 'malformed-control', statement: 'FW-HEL-3', errorFrame: true },
  { code: 304, name: 'timeout', statement: 'FW-LIM-6', errorFrame: true },
  { code: 305, name: 'internal-error', statement: 'FW-ERR-6', errorFrame: true },
]);

/** @type {ReadonlyMap<string, RegistryEntry>} */
export const BY_NAME = new Map(REGISTRY.map((e) => [e.name, e]));
/** @type {ReadonlyMap<number, RegistryEntry>} */
export const BY_CODE = new Map(REGISTRY.map((e) => [e.code, e]));

/** Numeric codes by name, e.g. `CODES['bad-magic'] === 100`. */
export const CODES = Object.freeze(Object.fromEntries(REGISTRY.map((e) => [e.name, e.code])));

/** @param {number} code @returns {string | undefined} */
export function errorNameOf(code) {
  return BY_CODE.get(code)?.name;
}

/**
 * A failure with a registry code and name (FW-ERR-7), the base of the three kinds below,
 * which are named as in the Python implementation: `RemoteProtocolError` (the peer broke
 * the protocol), `LocalFailureError` (this side failed the connection) and `PeerError`
 * (the peer sent ERROR; `remote` is true). Catch `ProtocolError` for the first two, both
 * sides' failures that the registry names.
 */
export class FramewireError extends Error {
  /**
   * @param {string | number} nameOrCode registry name ('bad-magic') or numeric code
   * @param {string} [detail] human-readable detail
   * @param {{statement?: string, remote?: boolean, reason?: string, cause?: unknown}} [options]
   *   `cause`: for a failure of this side's own (LocalFailureError), what made it give up
   */
  constructor(nameOrCode, detail, options = {}) {
    const entry = typeof nameOrCode === 'number' ? BY_CODE.get(nameOrCode) : BY_NAME.get(nameOrCode);
    if (entry === undefined && typeof nameOrCode === 'string') {
      throw new UsageError(`unknown Framewire error name: ${nameOrCode}`);
    }
    const code = typeof nameOrCode === 'number' ? nameOrCode : /** @type {RegistryEntry} */ (entry).code;
    const errorName = entry?.name ?? `unknown-${code}`;
    const statement = options.statement ?? entry?.statement;
    // peer-supplied text (a received reason) is escaped in the message, never interpreted (FW-SEC-5)
    const shown = detail ? escapeControl(detail) : '';
    const message = `${errorName} (${code})${statement ? ` [${statement}]` : ''}${shown ? `: ${shown}` : ''}`;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name === 'FramewireError' ? 'FramewireError' : `Framewire${new.target.name}`;
    /** numeric registry code, e.g. 100 */
    this.code = code;
    /** kebab-case registry name, e.g. 'bad-magic' (`unknown-N` for a code not in the registry) */
    this.errorName = errorName;
    /** the statement broken, e.g. 'FW-HDR-4' */
    this.statement = statement;
    /** true when the peer sent this error to us in an ERROR frame */
    this.remote = options.remote ?? false;
    /** the reason text of a received ERROR frame, or the detail of a local one */
    this.reason = options.reason ?? detail ?? '';
  }
}

/** A failure the registry names, on either side; never made itself, only its two kinds. */
export class ProtocolError extends FramewireError {}

/** The peer broke the protocol: its bytes (or, for a codec, the input) are not Framewire. */
export class RemoteProtocolError extends ProtocolError {}

/**
 * This side failed the connection and told the peer with an ERROR frame when it could: a
 * deadline of ours expired (`timeout`: the peer may be slow or the path gone, which our
 * clock cannot tell apart) or the application or the implementation gave up
 * (`internal-error`, FW-ERR-6: `fail()`, a listener that threw). Not a UsageError,
 * which is never sent on the wire.
 */
export class LocalFailureError extends ProtocolError {}

/** The peer failed the connection with an ERROR frame (FW-ERR-3); `remote` is true. */
export class PeerError extends FramewireError {
  /** @param {number} code @param {string} reason */
  constructor(code, reason) {
    super(code, reason, { remote: true, reason, statement: 'FW-ERR-3' });
  }
}

/** Characters of escaped peer text shown before the rest is cut (see escapeControl). */
export const MAX_SHOWN = 300;

// C0 controls, DEL, C1 controls, the Arabic letter mark, zero-width and direction marks,
// line/paragraph separators, bidi embeddings, overrides and isolates, invisible operators,
// the zero-width no-break space and interlinear annotations; and the backslash itself, so
// that an escape in the output is never ambiguous.
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** @param {string} c */
function escapeChar(c) {
  if (c === '\\') return '\\\\';
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * Peer-supplied text made safe for logs and terminals (FW-SEC-5): every control, format and
 * bidi character shown as an escape (`\x1b`, `\u202e`; a backslash as `\\`), and the result
 * cut after `limit` characters with a marker saying how many characters were left out.
 * The one function every message built from peer text goes through.
 * @param {string} text
 * @param {number} [limit]
 */
export function escapeControl(text, limit = MAX_SHOWN) {
  const escaped = text.replace(UNSAFE, escapeChar);
  if ([...escaped].length <= limit) return escaped; // characters (code points), as in Python
  // cut the original, not the escaped text, so that no escape is split in two
  let shown = 0;
  let kept = 0;
  for (const c of text) {
    const e = c.replace(UNSAFE, escapeChar);
    const width = e === c ? 1 : e.length;
    if (shown + width > limit) break;
    shown += width;
    kept += c.length;
  }
  const left = [...text.slice(kept)].length;
  return `${text.slice(0, kept).replace(UNSAFE, escapeChar)}[... ${left} more characters]`;
}

/** Misuse of this package's API by the application; never sent on the wire (FW-ERR-7, FW-CLS-6). */
export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'FramewireUsageError';
  }
}

/** A failure below Framewire: reset, broken pipe, ... (FW-SES-5). Distinct from every registry code. */
export class TransportError extends Error {
  /** @param {string} message @param {unknown} [cause] */
  constructor(message, cause) {
    super(message, { cause });
    this.name = 'FramewireTransportError';
  }
}

/**
 * TLS failed below Framewire (spec section 12): a handshake that did not verify (an
 * untrusted certificate, a name mismatch), a peer that does not speak TLS, or another
 * ALPN protocol than `framewire/1` (FW-TLS-4).
 */
export class TlsError extends TransportError {
  /** @param {string} message @param {unknown} [cause] */
  constructor(message, cause) {
    super(message, cause);
    this.name = 'FramewireTlsError';
  }
}
