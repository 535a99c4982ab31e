// Framewire for Node.js: the codec profile (sans-I/O) and the session profile over `net`.
export * from './codec.js';
export { SessionCore, preface, helloPayload, parseHello, errorPayload } from './session-core.js';
export { Session, ReceiveTimeout, connect, open, createServer, ALPN_PROTOCOL, tlsError } from './session.js';
