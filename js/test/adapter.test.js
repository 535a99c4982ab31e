// The conformance adapter as a process (spec/conformance.md 10.3): JSON lines in and out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

import { knownFailures } from './helpers.js';

const KNOWN = knownFailures();
const ADAPTER = fileURLToPath(new URL('../bin/adapter.js', import.meta.url));
const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

/** Start the adapter; returns a request function and a close function. */
function start() {
  const child = spawn(process.execPath, [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const rl = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) });
  /** @type {Array<(line: string) => void>} */
  const waiting = [];
  rl.on('line', (line) => waiting.shift()?.(line));
  /** @param {object} req @returns {Promise<any>} */
  const request = (req) =>
    new Promise((resolve) => {
      waiting.push((line) => resolve(JSON.parse(line)));
      child.stdin.write(JSON.stringify(req) + '\n');
    });
  const close = () =>
    new Promise((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.stdin.end();
    });
  return { request, close };
}

test('adapter: hello, requests, exit 0 at end of input (FW-CNF-6..10)', async () => {
  const a = start();
  assert.deepEqual(await a.request({ op: 'hello', versions: [1] }), {
    op: 'hello',
    version: 1,
    implementation: 'framewire-js 0.1.0',
    profiles: ['codec', 'session'],
    receive: { session: ['receive', 'receive+sink'] },
  });
  const r = await a.request({
    op: 'decode',
    seq: 7,
    case: 'fw-00000000',
    framing: 'delimited',
    limits: { max_frame_size: 256, max_message_size: 1024 },
    chunks: ['0446570102', '40010107056865', '6c6c6f00', '0102'],
    eof: true,
    hunting: false,
    assemble: true,
  });
  assert.deepEqual(r, {
    seq: 7,
    status: 'error',
    events: [{ message: { type: 64, flags: 0, payload: '68656c6c6f' } }],
    error: { code: 109, name: 'truncated-frame' },
  });
  const e = await a.request({ op: 'encode', seq: 8, framing: 'length-prefixed', message: { type: 64, flags: 3, payload: '68656c6c6f' }, options: { checksum: true, max_frame_size: 256 } });
  assert.equal(e.seq, 8);
  assert.equal(e.status, 'result');
  assert.equal(e.output.slice(0, 18), '465701314000000005');
  const bad = await a.request({ op: 'encode', seq: 9, framing: 'length-prefixed', message: { type: 16, flags: 0, payload: '' }, options: { checksum: false, max_frame_size: 256 } });
  assert.equal(bad.status, 'crashed');
  assert.equal(await a.close(), 0);
});

test('adapter: no common version', async () => {
  const a = start();
  assert.deepEqual(await a.request({ op: 'hello', versions: [3] }), { op: 'hello', version: null });
  assert.equal(await a.close(), 0);
});

test('adapter: version 2, the latest offered (FW-CNF-10, 10.3.8)', async () => {
  const a = start();
  const hello = await a.request({ op: 'hello', versions: [1, 2] });
  assert.equal(hello.version, 2);
  // the peer's HELLO (no settings) and a PING, read late; the application's message is
  // sent after its HELLO event; the session is not done sending (FW-CNF-34..37)
  const r = await a.request({
    op: 'session',
    seq: 1,
    framing: 'length-prefixed',
    limits: { max_frame_size: 1048576, max_message_size: 16777216 },
    chunks: ['894657314c0d0a1a', '465701000100000000', '4657010003000000080102030405060708'],
    eof: false,
    read: 'end',
    control: true,
    send: [{ type: 64, flags: 1, payload: '6869' }],
  });
  assert.equal(r.status, 'result');
  assert.deepEqual(r.events, [{ hello: { max_frame_size: 1048576, max_message_size: 16777216 } }]);
  assert.equal(r.sending, 'open');
  assert.equal(r.end, 'open');
  assert.ok(r.sent.endsWith('46570100040000000801020304050607084657011040000000026869'), r.sent);
  assert.equal(await a.close(), 0);
});

test('adapter: every vector, whole delivery, through the process', async () => {
  assert.ok(existsSync(VECTORS), `no vectors at ${VECTORS}`);
  const a = start();
  await a.request({ op: 'hello', versions: [1] });
  let seq = 0;
  /** @type {Set<string>} */
  const kinds = new Set();
  for (const f of readdirSync(VECTORS).sort()) {
    if (!f.endsWith('.json') || f === 'schema.json') continue;
    const d = JSON.parse(readFileSync(join(VECTORS, f), 'utf8'));
    if (!d || d.suite !== 'framewire-vectors') continue;
    for (const c of d.cases) {
      if ((c.tags ?? []).includes('live-only') || KNOWN.has(c.id)) continue;
      const s = ++seq;
      /** @type {any} */
      let req;
      if (c.kind === 'encode') req = { op: 'encode', seq: s, case: c.id, framing: c.framing, message: c.message, options: c.options };
      else {
        req = { op: c.kind, seq: s, case: c.id, framing: c.framing, limits: c.limits, chunks: c.input ? [c.input] : [], eof: c.eof ?? true };
        if (c.kind === 'decode') Object.assign(req, { hunting: c.hunting ?? false, assemble: c.assemble ?? true });
      }
      const r = await a.request(req);
      assert.equal(r.seq, s);
      if (c.kind !== 'encode' && typeof c.expect.end === 'object' && 'error' in c.expect.end) {
        assert.equal(r.status, 'error', `${c.id}: ${JSON.stringify(r)}`);
        assert.equal(r.error.name, c.expect.end.error, c.id);
      } else {
        assert.equal(r.status, 'result', `${c.id}: ${JSON.stringify(r)}`);
        if (c.kind === 'encode') assert.equal(r.output, c.expect.output, c.id);
      }
      kinds.add(c.kind);
    }
  }
  assert.deepEqual([...kinds].sort(), ['decode', 'encode', 'session']);
  assert.equal(await a.close(), 0);
});
