// Plain-language causes for the commonest failures, written into error details (as the
// Python implementation does): a peer of the other framing, a TLS or HTTP client on a
// Framewire port, a peer that sends nothing. Registry codes and statements are unchanged;
// the texts hold no peer bytes except single byte values in hex and names from our tables.

const PREFACE_FRAMING_OFFSET = 4;
const TLS_HANDSHAKE_RECORD = 0x16;
const TLS_MAJOR_VERSION = 0x03;
/** how an HTTP request line starts; each fits in the 8 bytes where a preface is due */
const HTTP_REQUEST_STARTS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'TRACE ', 'PRI * '];
/** @type {ReadonlyMap<number, string>} */
const FRAMING_BY_BYTE = new Map([
  [0x4c, 'length-prefixed'],
  [0x44, 'delimited'],
]);

/** @param {number} n */
const hex = (n) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * The detail of a bad-preface error: the cause first, then the raw fact.
 * @param {Uint8Array} received what arrived where the preface was due, up to and including the first wrong byte
 * @param {Uint8Array} expected our preface
 * @param {string} framing this side's framing
 * @returns {string}
 */
export function explainPreface(received, expected, framing) {
  let offset = 0;
  while (received[offset] === expected[offset]) offset++;
  const fact = `preface byte ${offset} is ${hex(received[offset])}, expected ${hex(expected[offset])}`;
  return `${cause(received, offset, framing)} (${fact})`;
}

/**
 * @param {Uint8Array} received @param {number} offset @param {string} framing
 * @returns {string}
 */
function cause(received, offset, framing) {
  if (received[0] === TLS_HANDSHAKE_RECORD && (received.length < 2 || received[1] === TLS_MAJOR_VERSION)) {
    return 'the peer sent a TLS handshake: a TLS client on a port that does not use TLS (connect without TLS, or serve with TLS)';
  }
  const text = String.fromCharCode(...received.subarray(0, 8));
  const method = HTTP_REQUEST_STARTS.find((start) => text.startsWith(start));
  if (method !== undefined) {
    return `the peer sent an HTTP request (${method.trim()}): an HTTP client on a Framewire port`;
  }
  if (offset === PREFACE_FRAMING_OFFSET) {
    const theirs = FRAMING_BY_BYTE.get(received[offset]);
    if (theirs !== undefined) {
      return `framing mismatch: the peer uses ${theirs} framing, this side ${framing}; both ends must use the same framing`;
    }
    return "the peer's preface names a framing this implementation does not know";
  }
  if (offset < PREFACE_FRAMING_OFFSET) return 'the peer is not speaking Framewire: its first bytes are not a preface';
  return "the peer's preface ends in the wrong guard bytes (a damaged or altered stream?)";
}

/**
 * What an expired handshake deadline says about the peer, appended to the timeout detail.
 * @param {number} prefaceBytes preface bytes received
 * @param {boolean} handshakeDone
 * @returns {string}
 */
export function explainSilence(prefaceBytes, handshakeDone) {
  if (handshakeDone) return '';
  if (prefaceBytes === 0) {
    return '; the peer sent nothing, though a Framewire peer sends its preface at once (FW-SES-1): is it speaking Framewire?';
  }
  if (prefaceBytes < 8) return `; the peer sent ${prefaceBytes} of the 8 preface bytes`;
  return '; the peer sent its preface but no HELLO';
}

/**
 * ` (64 KiB)` after a byte count that is an exact number of KiB, MiB or GiB, else ''.
 * @param {number} size
 */
export function binarySize(size) {
  for (const [unit, scale] of /** @type {const} */ ([['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]])) {
    if (size >= scale && size % scale === 0) return ` (${size / scale} ${unit})`;
  }
  return '';
}
