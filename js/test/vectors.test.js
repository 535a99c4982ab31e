// Runs every JSON vector of /vectors through the same request handlers as bin/adapter.js,
// in every delivery of FW-CNF-12: whole, byte by byte, the vector's own chunks, random splits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { decode, encode, session } from '../src/conformance.js';
import { BY_NAME } from '../src/codec.js';
import { knownFailures, expectOutcome } from './helpers.js';

const KNOWN = knownFailures();

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

/** @returns {Array<{file: string, data: any}>} */
function loadGroups() {
  if (!existsSync(VECTORS)) return [];
  /** @type {Array<{file: string, data: any}>} */
  const groups = [];
  for (const f of readdirSync(VECTORS).sort()) {
    if (!f.endsWith('.json') || f === 'schema.json') continue;
    const data = JSON.parse(readFileSync(join(VECTORS, f), 'utf8'));
    if (data && data.suite === 'framewire-vectors' && Array.isArray(data.cases)) groups.push({ file: f, data });
  }
  return groups;
}

/** mulberry32 @param {number} seed */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @param {string} hex
 * @param {number[]} sizes
 */
function splitBySizes(hex, sizes) {
  const out = [];
  let p = 0;
  for (const n of sizes) {
    out.push(hex.slice(p, p + 2 * n));
    p += 2 * n;
  }
  if (p < hex.length) out.push(hex.slice(p));
  return out;
}

/**
 * The deliveries of FW-CNF-12 for an input.
 * @param {any} c @param {number} seed
 * @returns {Array<[string, string[]]>}
 */
function deliveries(c, seed) {
  const hex = c.input;
  const n = hex.length / 2;
  /** @type {Array<[string, string[]]>} */
  const d = [['whole', hex.length ? [hex] : []]];
  if (n > 1) d.push(['bytes', splitBySizes(hex, Array(n).fill(1))]);
  if (c.chunks) d.push(['chunks', splitBySizes(hex, c.chunks)]);
  const r = rng(seed);
  for (let k = 0; k < 3 && n > 2; k++) {
    const sizes = [];
    let left = n;
    while (left > 0) {
      const s = 1 + Math.floor(r() * Math.min(left, 1 + Math.floor(r() * 64)));
      sizes.push(s);
      left -= s;
    }
    d.push([`split${k}`, splitBySizes(hex, sizes)]);
  }
  return d;
}

/** @param {any} reported @param {any} expected */
function matchDecodeEvent(reported, expected) {
  if ('error' in expected) {
    const entry = BY_NAME.get(expected.error);
    return reported.error !== undefined && reported.error.name === expected.error && reported.error.code === entry?.code;
  }
  return JSON.stringify(reported) === JSON.stringify(expected);
}

/** @param {any} reply @param {any} expect */
function checkDecodeReply(reply, expect) {
  const evs = reply.events;
  assert.equal(evs.length, expect.events.length, `event count: got ${JSON.stringify(evs)}`);
  expect.events.forEach((/** @type {any} */ e, /** @type {number} */ i) =>
    assert.ok(matchDecodeEvent(evs[i], e), `event ${i}: got ${JSON.stringify(evs[i])}, want ${JSON.stringify(e)}`),
  );
  if (typeof expect.end === 'string') {
    assert.equal(reply.status, 'result', `want end ${expect.end}, got ${JSON.stringify(reply)}`);
    assert.equal(reply.end, expect.end);
  } else {
    assert.equal(reply.status, 'error', `want error ${expect.end.error}, got ${JSON.stringify(reply)}`);
    assert.equal(reply.error.name, expect.end.error);
    assert.equal(reply.error.code, BY_NAME.get(expect.end.error)?.code);
  }
}

/**
 * A session reply against its vector: the events and the end. What the session sent (its
 * preface, HELLO, PONGs and ERROR frames) is judged by the conformance runner, which reads
 * it with its own wire reader (tests/js/test_conformance_js.py runs bin/adapter.js through it).
 * @param {any} c @param {any} reply
 */
function checkSessionReply(c, reply) {
  const x = c.expect;
  // the adapter does not report PINGs (its hello lists no "ping" control events, FW-CNF-35)
  assert.deepEqual(reply.events, x.events.filter((/** @type {object} */ e) => !('ping' in e)), 'events');
  // FW-CNF-37: done sending exactly when the session failed
  assert.equal(reply.sending, typeof x.end === 'string' ? 'open' : 'done', 'sending');
  if (typeof x.end === 'string' || 'peer_error' in x.end) {
    assert.equal(reply.status, 'result', `want end ${JSON.stringify(x.end)}, got ${JSON.stringify(reply)}`);
    assert.deepEqual(reply.end, x.end);
  } else {
    assert.equal(reply.status, 'error', `want error ${x.end.error}, got ${JSON.stringify(reply)}`);
    assert.equal(reply.error.name, x.end.error);
    assert.equal(reply.error.code, BY_NAME.get(x.end.error)?.code);
  }
}

const groups = loadGroups();
let seq = 0;

test('vectors directory holds vector files', () => {
  assert.ok(groups.length > 0, `no vector files in ${VECTORS}`);
});

for (const { file, data } of groups) {
  for (const c of data.cases) {
    const name = `${file} ${c.id} ${c.kind} ${c.framing}: ${c.description}`;
    const live = (c.tags ?? []).includes('live-only') || c.deadlines !== undefined;
    // a live-only case needs real time: the runner plays it against bin/echo-server.js
    // (tests/js/test_conformance_js.py)
    test(name, { skip: live ? 'live-only' : false }, () => expectOutcome(c.id, KNOWN, () => {
      if (c.kind === 'encode') {
        const reply = encode({ seq: ++seq, framing: c.framing, message: c.message, options: c.options });
        assert.equal(reply.output, c.expect.output);
        return;
      }
      for (const [how, chunks] of deliveries(c, 1 + seq)) {
        const base = { seq: ++seq, case: c.id, framing: c.framing, limits: c.limits, chunks, eof: c.eof ?? true };
        // the fields of adapter protocol version 2 (spec/conformance.md 10.3.8)
        for (const field of ['read', 'control', 'send']) if (c[field] !== undefined) Object.assign(base, { [field]: c[field] });
        try {
          if (c.kind === 'decode') {
            const reply = decode({ ...base, hunting: c.hunting ?? false, assemble: c.assemble ?? true });
            checkDecodeReply(reply, c.expect);
          } else if (c.kind === 'session') {
            checkSessionReply(c, session(base));
          } else {
            assert.fail(`unknown kind ${c.kind}`);
          }
        } catch (e) {
          /** @type {Error} */ (e).message = `[${how}] ${/** @type {Error} */ (e).message}`;
          throw e;
        }
      }
    }));
  }
}
