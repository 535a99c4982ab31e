// The client side of the session profile: connect to a peer over TCP, a Unix socket or TLS.

import net from 'node:net';
import { Session } from './net-session.js';
import { connectTls } from './tls.js';
import { TransportError } from './errors.js';

/** @typedef {import('./net-session.js').NetSessionOptions} NetSessionOptions */

/**
 * Connect to a Framewire peer over TCP ({host, port}) or a Unix socket ({path}).
 * Resolves once the socket is connected (the handshake goes on; see the 'open' event).
 * @param {{host?: string, port?: number, path?: string}} address
 * @param {NetSessionOptions} [options]
 * @returns {Promise<Session>}
 */
export function connect(address, options = {}) {
  if (options.tls !== undefined) return connectTls(address, options, options.tls);
  return new Promise((resolve, reject) => {
    /** @type {net.NetConnectOpts} */
    const opts =
      address.path !== undefined
        ? { path: address.path, allowHalfOpen: true }
        : { host: address.host ?? '127.0.0.1', port: /** @type {number} */ (address.port), allowHalfOpen: true };
    const socket = net.connect(opts);
    /** @param {Error} err */
    const onError = (err) => reject(new TransportError(`connect failed: ${err.message}`, err));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(new Session(socket, options));
    });
  });
}

/**
 * Connect and wait for the handshake: resolves with the session once the peer's HELLO is in.
 * @param {{host?: string, port?: number, path?: string}} address
 * @param {NetSessionOptions} [options]
 * @returns {Promise<Session>}
 */
export async function open(address, options = {}) {
  const s = await connect(address, options);
  if (s.peer !== null) return s;
  return new Promise((resolve, reject) => {
    const onErr = (/** @type {Error} */ e) => reject(e);
    s.once('error', onErr);
    s.once('close', () => reject(s.failure ?? new TransportError('closed during the handshake')));
    s.once('open', () => {
      s.off('error', onErr);
      resolve(s);
    });
  });
}
