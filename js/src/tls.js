// Framewire over TLS (spec section 12): the client's handshake, the server's options, and
// one line that explains a failed handshake.

import net from 'node:net';
import tls from 'node:tls';
import { Session } from './net-session.js';
import { TlsError } from './errors.js';

/** @typedef {import('./net-session.js').NetSessionOptions} NetSessionOptions */

/** The ALPN protocol id of Framewire/1 (FW-TLS-2). */
export const ALPN_PROTOCOL = 'framewire/1';

/**
 * The TLS handshake, then the session (see `connect`). Failures are one-line TlsErrors.
 * @param {{host?: string, port?: number, path?: string}} address
 * @param {NetSessionOptions} options
 * @param {tls.ConnectionOptions} tlsOptions
 * @returns {Promise<Session>}
 */
export function connectTls(address, options, tlsOptions) {
  return new Promise((resolve, reject) => {
    const host = address.host ?? '127.0.0.1';
    // allowHalfOpen is a documented tls.connect option that @types/node leaves out: without
    // it, the peer's close_notify would end our direction too (FW-TLS-6).
    /** @type {tls.ConnectionOptions & {allowHalfOpen: boolean}} */
    const connectOptions = {
      ...tlsOptions,
      ...(address.path !== undefined ? { path: address.path } : { host, port: address.port }),
      // SNI carries names only; the certificate is checked against the name, or the IP address
      servername: tlsOptions.servername ?? (address.path !== undefined || net.isIP(host) !== 0 ? undefined : host),
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(tlsOptions.servername ?? host, cert),
      ALPNProtocols: [ALPN_PROTOCOL],
      allowHalfOpen: true,
    };
    const socket = tls.connect(connectOptions);
    const timer = setTimeout(() => socket.destroy(new Error('the TLS handshake did not finish within the handshake deadline')), options.handshakeTimeout ?? 10000);
    /** @param {Error} err */
    const onError = (err) => {
      clearTimeout(timer);
      reject(tlsError(err, 'connecting'));
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      const chosen = socket.alpnProtocol;
      if (chosen !== false && chosen !== null && chosen !== ALPN_PROTOCOL) {
        socket.destroy(); // FW-TLS-4: before the preface
        reject(new TlsError(`TLS handshake: the server chose ALPN protocol ${JSON.stringify(chosen)}, not ${JSON.stringify(ALPN_PROTOCOL)}`));
        return;
      }
      resolve(new Session(socket, options));
    });
  });
}

/** OpenSSL reasons meaning the peer's bytes are not TLS at all. */
const NOT_TLS = /wrong version number|packet length too long|http request|unknown protocol|record layer failure/i;

/**
 * One line that says what failed in a TLS set-up (spec section 12).
 * @param {Error & {code?: string, reason?: string}} err @param {string} during
 * @returns {TlsError}
 */
export function tlsError(err, during) {
  // OpenSSL's text is "<hex>:error:<code>:SSL routines:<function>:<reason>:<file>:<line>:"
  const reason = err.message
    .replace(/^.*?routines:[^:]*:/, '')
    .replace(/:[^:]*\.c:\d+:?$/, '')
    .replace(/_/g, ' ')
    .trim();
  let what;
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') what = `the peer's certificate was rejected: ${err.reason ?? reason}`;
  else if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED|EXPIRED/.test(err.code ?? '')) what = `the peer's certificate was rejected: ${reason}`;
  else if (NOT_TLS.test(reason)) what = `the peer does not speak TLS (${reason})`;
  else if (/alert/i.test(reason)) what = `the peer refused it: ${reason}`;
  else if (err.code === 'ECONNRESET' || /socket disconnected|socket hang up/i.test(reason)) what = 'the peer closed the connection (does it speak TLS?)';
  else what = reason;
  return new TlsError(`TLS handshake failed while ${during}: ${what}`, err);
}
