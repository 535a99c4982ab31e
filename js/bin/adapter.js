#!/usr/bin/env node
// Conformance adapter (spec/conformance.md 10.3): JSON lines on stdin, one reply line each on stdout.
// It only maps requests onto the public API of this package and reports what it did.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { UsageError } from '../src/codec.js';
import { decode, encode, session, PROTOCOL_VERSIONS, RECEIVE_PATHS } from '../src/conformance.js';
import { HELP_OPTION, parseCommandLine } from './command-line.js';

const HELP = `usage: framewire-adapter

The conformance adapter of this package (spec/conformance.md 10.3): it reads JSON
requests on stdin, one per line, and writes one JSON reply line each on stdout. Run it
through the runner: framewire conformance --adapter "node js/bin/adapter.js"

options:
  -h, --help  show this help and exit
`;

parseCommandLine('framewire-adapter', HELP, () => parseArgs({ options: { help: HELP_OPTION } }));

const IMPLEMENTATION = 'framewire-js 0.1.0';

/** @param {unknown} obj */
function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** @param {string} line */
function handle(line) {
  /** @type {any} */
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    process.stderr.write(`adapter: bad request line: ${line}\n`);
    reply({ seq: null, status: 'crashed', detail: `request is not JSON: ${String(e)}` });
    return true;
  }
  if (req.op === 'hello') {
    const spoken = PROTOCOL_VERSIONS.filter((v) => Array.isArray(req.versions) && req.versions.includes(v));
    if (spoken.length === 0) {
      reply({ op: 'hello', version: null });
      return false;
    }
    reply({ op: 'hello', version: spoken[spoken.length - 1], implementation: IMPLEMENTATION, profiles: ['codec', 'session'], receive: RECEIVE_PATHS });
    return true;
  }
  try {
    if (req.op === 'decode') reply(decode(req));
    else if (req.op === 'encode') reply(encode(req));
    else if (req.op === 'session') reply(session(req));
    else reply({ seq: req.seq, status: 'skipped', reason: `unknown op ${String(req.op)}` });
  } catch (e) {
    const err = /** @type {Error} */ (e);
    process.stderr.write(`adapter: ${req.case ?? ''} ${err.stack ?? err}\n`);
    const kind = err instanceof UsageError ? 'usage error' : 'exception';
    reply({ seq: req.seq, status: 'crashed', detail: `${kind}: ${err.message}` });
  }
  return true;
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  if (!handle(line)) {
    rl.close();
    process.exit(0);
  }
});
rl.on('close', () => process.exit(0));
