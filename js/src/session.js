// The session profile over `net` stream sockets (TCP, Unix domain, TLS): the package's
// `./session` entry point, gathering the session, its client and server sides, and TLS.

export { Session, ReceiveTimeout } from './net-session.js';
export { connect, open } from './connect.js';
export { createServer } from './server.js';
export { ALPN_PROTOCOL, tlsError } from './tls.js';

/** @typedef {import('./net-session.js').NetSessionOptions} NetSessionOptions */
/** @typedef {import('./net-session.js').Message} Message */
/** @typedef {import('./net-session.js').Piece} Piece */
/** @typedef {import('./net-session.js').SessionEvents} SessionEvents */
