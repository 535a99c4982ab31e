// The server side of the session profile: a session on every connection, over TCP, a Unix
// socket or TLS.

import net from 'node:net';
import tls from 'node:tls';
import { Session } from './net-session.js';
import { ALPN_PROTOCOL } from './tls.js';
import { UsageError } from './errors.js';

/** @typedef {import('./net-session.js').NetSessionOptions} NetSessionOptions */

/**
 * A server that runs a Framewire session on every connection.
 * @param {NetSessionOptions} options
 * @param {(session: Session) => void} onSession
 * @returns {net.Server | tls.Server}
 */
export function createServer(options, onSession) {
  if (typeof onSession !== 'function') throw new UsageError('createServer needs a session callback');
  if (options.tls !== undefined) {
    // A TLS handshake that fails never makes a session: the server emits 'tlsClientError'
    // with the error (see tlsError() for one line that explains it).
    const server = tls.createServer(
      {
        ...options.tls,
        ALPNProtocols: [ALPN_PROTOCOL],
        allowHalfOpen: true,
        handshakeTimeout: options.handshakeTimeout ?? 10000,
      },
      (socket) => serve(new Session(socket, options), onSession),
    );
    return server;
  }
  return net.createServer({ allowHalfOpen: true }, (socket) => serve(new Session(socket, options), onSession));
}

/**
 * Hand a new session to the server's callback; if the callback throws, or returns a promise
 * that rejects, that connection fails with internal-error and the server goes on (FW-ERR-6).
 * @param {Session} session @param {(session: Session) => unknown} onSession
 */
function serve(session, onSession) {
  try {
    const result = onSession(session);
    if (result instanceof Promise) result.catch((exception) => session._applicationFailed('session callback', exception));
  } catch (exception) {
    session._applicationFailed('session callback', exception);
  }
}
