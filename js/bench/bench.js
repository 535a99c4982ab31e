#!/usr/bin/env node
// Benchmark: messages/s and MB/s for 16 B, 4 KiB and 1 MiB messages over loopback TCP,
// Framewire sessions (length-prefixed, no checksum) against a hand-written Node
// length-prefix framer, in the same run. The receiver runs in a child process; each point
// is the median of several runs. One-way: the client sends N messages and half-closes;
// the server counts them and answers "done"; the time runs until "done" arrives.
//
//   node bench/bench.js [--runs 3] [--quick]

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer, open } from '../src/index.js';

const SELF = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    runs: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    checksum: { type: 'boolean', default: false },
  },
});

// ---------- receivers (child process) ----------

function framewireServer() {
  const server = createServer({ maxFrameSize: 2 ** 20, maxMessageSize: 2 ** 24 }, (s) => {
    let count = 0;
    let bytes = 0;
    s.on('message', (m) => {
      count++;
      bytes += m.payload.length;
    });
    s.on('end', () => {
      s.send(0x40, new TextEncoder().encode(`${count} ${bytes}`));
      s.end();
    });
    s.on('error', (e) => process.stderr.write(`bench server: ${e.message}\n`));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${/** @type {net.AddressInfo} */ (server.address()).port}\n`));
}

function baselineServer() {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    let count = 0;
    let bytes = 0;
    // pending chunks are joined only when a whole message is in (no quadratic re-copying)
    /** @type {Buffer[]} */
    let chunks = [];
    let have = 0;
    let need = -1;
    sock.on('data', (/** @type {Buffer} */ chunk) => {
      chunks.push(chunk);
      have += chunk.length;
      for (;;) {
        if (need < 0) {
          if (have < 4) break;
          if (chunks[0].length < 4) chunks = [Buffer.concat(chunks)];
          need = chunks[0].readUInt32BE(0);
          chunks[0] = chunks[0].subarray(4);
          have -= 4;
        }
        if (have < need) break;
        let msg;
        if (chunks[0].length >= need) {
          msg = chunks[0].subarray(0, need);
          chunks[0] = chunks[0].subarray(need);
        } else {
          const all = Buffer.concat(chunks);
          msg = all.subarray(0, need);
          chunks = [all.subarray(need)];
        }
        if (chunks[0].length === 0) chunks.shift();
        if (chunks.length === 0) chunks = [];
        count++;
        bytes += msg.length;
        have -= need;
        need = -1;
        if (have === 0) break;
      }
    });
    sock.on('end', () => {
      const body = Buffer.from(`${count} ${bytes}`);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      sock.end(Buffer.concat([head, body]));
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${/** @type {net.AddressInfo} */ (server.address()).port}\n`));
}

if (values.server !== undefined) {
  // a receiver child exits when its parent goes away (its stdin closes)
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  if (values.server === 'framewire') framewireServer();
  else baselineServer();
} else await main();

// ---------- clients (parent) ----------

/** @param {string} kind @returns {Promise<{port: number, stop: () => void}>} */
async function startServer(kind) {
  const child = spawn(process.execPath, [SELF, '--server', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(/** @type {import('node:stream').Readable} */ (child.stdout), 'data');
  return { port: Number(String(line).trim()), stop: () => child.kill() };
}

/**
 * @param {number} port @param {number} size @param {number} n
 * @returns {Promise<number>} seconds
 */
async function runFramewire(port, size, n) {
  const s = await open({ port }, { maxFrameSize: 2 ** 20, checksum: values.checksum });
  const payload = new Uint8Array(size).fill(0x61);
  const done = new Promise((resolve) => s.once('message', resolve));
  const t0 = process.hrtime.bigint();
  const batch = Math.max(1, Math.floor((1 << 20) / size));
  for (let i = 0; i < n; i++) {
    s.send(0x40, payload);
    if ((i + 1) % batch === 0) await s.drained();
  }
  s.end();
  const reply = /** @type {{payload: Uint8Array}} */ (await done);
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  const [count] = new TextDecoder().decode(reply.payload).split(' ').map(Number);
  if (count !== n) throw new Error(`framewire: server got ${count} of ${n}`);
  await new Promise((r) => (s.closed ? r(null) : s.once('close', () => r(null))));
  return t;
}

/**
 * @param {number} port @param {number} size @param {number} n
 * @returns {Promise<number>} seconds
 */
async function runBaseline(port, size, n) {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  sock.setNoDelay(true);
  await once(sock, 'connect');
  const payload = Buffer.alloc(size, 0x61);
  /** @type {Buffer[]} */
  const got = [];
  sock.on('data', (c) => got.push(c));
  const ended = once(sock, 'end');
  const t0 = process.hrtime.bigint();
  const batch = Math.max(1, Math.floor((1 << 20) / size));
  // each batch of messages is framed into one buffer and written at once
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    if (size >= 65536) {
      // large messages: a 4-byte header, then the payload itself (writev, no copy)
      sock.cork();
      let ok = true;
      for (let j = 0; j < k; j++) {
        const head = Buffer.allocUnsafe(4);
        head.writeUInt32BE(size);
        sock.write(head);
        ok = sock.write(payload);
      }
      sock.uncork();
      if (!ok) await once(sock, 'drain');
      continue;
    }
    const buf = Buffer.allocUnsafe(k * (4 + size));
    let p = 0;
    for (let j = 0; j < k; j++) {
      buf.writeUInt32BE(size, p);
      payload.copy(buf, p + 4);
      p += 4 + size;
    }
    if (!sock.write(buf)) await once(sock, 'drain');
  }
  sock.end();
  await ended;
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  const reply = Buffer.concat(got);
  const [count] = reply.subarray(4).toString().split(' ').map(Number);
  if (count !== n) throw new Error(`baseline: server got ${count} of ${n}`);
  sock.destroy();
  return t;
}

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const runs = Number(values.runs);
  const points = values.quick
    ? [
        ['16 B', 16, 50000],
        ['4 KiB', 4096, 10000],
        ['1 MiB', 1 << 20, 50],
      ]
    : [
        ['16 B', 16, 300000],
        ['4 KiB', 4096, 60000],
        ['1 MiB', 1 << 20, 250],
      ];
  const fw = await startServer('framewire');
  const base = await startServer('baseline');
  console.log(`node ${process.version}, loopback TCP, ${runs} runs per point (median)${values.checksum ? ', Framewire with CRC-32C' : ''}`);
  console.log('size    impl        messages     msg/s        MB/s');
  try {
    for (const [label, size, n] of /** @type {Array<[string, number, number]>} */ (points)) {
      for (const [name, port, fn] of /** @type {const} */ ([
        ['framewire', fw.port, runFramewire],
        ['baseline', base.port, runBaseline],
      ])) {
        await fn(port, size, Math.max(1, Math.floor(n / 10))); // warm-up
        const ts = [];
        for (let r = 0; r < runs; r++) ts.push(await fn(port, size, n));
        const t = median(ts);
        console.log(
          `${label.padEnd(7)} ${name.padEnd(10)} ${String(n).padStart(9)} ${Math.round(n / t).toLocaleString('en-US').padStart(12)} ${((n * size) / t / 1e6).toFixed(1).padStart(10)}`,
        );
      }
    }
  } finally {
    fw.stop();
    base.stop();
  }
}
