#!/usr/bin/env node
// Benchmark: messages/s and MB/s for messages of 16 B to 1 MiB over loopback TCP, Framewire
// sessions (length-prefixed) against a hand-written Node length-prefix framer, in the same
// run. With --checksum, Framewire adds a CRC-32C trailer to every frame and the framer one
// to every message (the same CRC-32C function on both sides, checked by both receivers).
// The receivers run in child processes. One-way: the client sends N messages and
// half-closes; the server counts them and answers "done"; the time runs until "done"
// arrives. Each run times Framewire and the framer back to back (the order alternates), so
// that both see the same load; a point's ratios are the medians of the runs' ratios, of
// the wall time and of the CPU time both processes used (the receiver reports its own).
//
//   node bench/bench.js [--runs 5] [--quick] [--checksum]

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer, crc32c, open } from '../src/index.js';

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

/**
 * CPU seconds (user and system) this process used since `start`.
 * @param {NodeJS.CpuUsage} start
 */
function cpuSince(start) {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

function framewireServer() {
  const server = createServer({ maxFrameSize: 2 ** 20, maxMessageSize: 2 ** 24 }, (s) => {
    const cpu0 = process.cpuUsage();
    let count = 0;
    let bytes = 0;
    s.on('message', (m) => {
      count++;
      bytes += m.payload.length;
    });
    s.on('end', () => {
      s.send(0x40, new TextEncoder().encode(`${count} ${bytes} ${cpuSince(cpu0)}`));
      s.end();
    });
    s.on('error', (e) => process.stderr.write(`bench server: ${e.message}\n`));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${/** @type {net.AddressInfo} */ (server.address()).port}\n`));
}

function baselineServer() {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    const cpu0 = process.cpuUsage();
    let count = 0;
    let bytes = 0;
    // pending chunks are joined only when a whole message is in (no quadratic re-copying)
    /** @type {Buffer[]} */
    let chunks = [];
    let have = 0;
    let need = -1;
    const trailer = values.checksum ? 4 : 0;
    sock.on('data', (/** @type {Buffer} */ chunk) => {
      chunks.push(chunk);
      have += chunk.length;
      for (;;) {
        if (need < 0) {
          if (have < 4) break;
          if (chunks[0].length < 4) chunks = [Buffer.concat(chunks)];
          need = chunks[0].readUInt32BE(0) + trailer;
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
        if (trailer > 0) {
          const body = msg.subarray(0, need - trailer);
          if (crc32c(body) !== msg.readUInt32BE(need - trailer)) throw new Error('baseline: CRC-32C mismatch');
          msg = body;
        }
        count++;
        bytes += msg.length;
        have -= need;
        need = -1;
        if (have === 0) break;
      }
    });
    sock.on('end', () => {
      const body = Buffer.from(`${count} ${bytes} ${cpuSince(cpu0)}`);
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
  const args = [SELF, '--server', kind, ...(values.checksum ? ['--checksum'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(/** @type {import('node:stream').Readable} */ (child.stdout), 'data');
  return { port: Number(String(line).trim()), stop: () => child.kill() };
}

/**
 * @param {number} port @param {number} size @param {number} n
 * @returns {Promise<Timing>}
 */
async function runFramewire(port, size, n) {
  const s = await open({ port }, { maxFrameSize: 2 ** 20, checksum: values.checksum });
  const payload = new Uint8Array(size).fill(0x61);
  const done = new Promise((resolve) => s.once('message', resolve));
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const batch = Math.max(1, Math.floor((1 << 20) / size));
  for (let i = 0; i < n; i++) {
    s.send(0x40, payload);
    if ((i + 1) % batch === 0) await s.drained();
  }
  s.end();
  const reply = /** @type {{payload: Uint8Array}} */ (await done);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSince(cpu0);
  const [count, , serverCpu] = new TextDecoder().decode(reply.payload).split(' ').map(Number);
  if (count !== n) throw new Error(`framewire: server got ${count} of ${n}`);
  await new Promise((r) => (s.closed ? r(null) : s.once('close', () => r(null))));
  return { wall, cpu: cpu + serverCpu };
}

/**
 * @param {number} port @param {number} size @param {number} n
 * @returns {Promise<Timing>}
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
  const cpu0 = process.cpuUsage();
  const batch = Math.max(1, Math.floor((1 << 20) / size));
  const trailer = values.checksum ? 4 : 0;
  // each batch of messages is framed into one buffer and written at once
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    if (size >= 65536) {
      // large messages: a 4-byte header, the payload itself, the trailer (writev, no copy)
      sock.cork();
      let ok = true;
      for (let j = 0; j < k; j++) {
        const head = Buffer.allocUnsafe(4);
        head.writeUInt32BE(size);
        sock.write(head);
        ok = sock.write(payload);
        if (trailer > 0) {
          const crc = Buffer.allocUnsafe(4);
          crc.writeUInt32BE(crc32c(payload));
          ok = sock.write(crc);
        }
      }
      sock.uncork();
      if (!ok) await once(sock, 'drain');
      continue;
    }
    const buf = Buffer.allocUnsafe(k * (4 + size + trailer));
    let p = 0;
    for (let j = 0; j < k; j++) {
      buf.writeUInt32BE(size, p);
      payload.copy(buf, p + 4);
      p += 4 + size;
      if (trailer > 0) {
        buf.writeUInt32BE(crc32c(buf, 0, p - size, p), p);
        p += trailer;
      }
    }
    if (!sock.write(buf)) await once(sock, 'drain');
  }
  sock.end();
  await ended;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSince(cpu0);
  const reply = Buffer.concat(got);
  const [count, , serverCpu] = reply.subarray(4).toString().split(' ').map(Number);
  if (count !== n) throw new Error(`baseline: server got ${count} of ${n}`);
  sock.destroy();
  return { wall, cpu: cpu + serverCpu };
}

/**
 * @typedef {{wall: number, cpu: number}} Timing
 *   seconds from the first send to the receiver's answer, and CPU seconds both processes used
 */

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const runs = Number(values.runs);
  /** @type {Array<[string, number, number]>} label, size, messages per run */
  const points = [
    ['16 B', 16, 300000],
    ['256 B', 256, 200000],
    ['4 KiB', 4096, 60000],
    ['64 KiB', 65536, 4000],
    ['1 MiB', 1 << 20, 250],
  ];
  const scale = values.quick ? 0.2 : 1;
  const fw = await startServer('framewire');
  const base = await startServer('baseline');
  const [load1] = os.loadavg();
  console.log(
    `node ${process.version}, loopback TCP, ${runs} runs per point (medians), ${values.checksum ? 'with CRC-32C on both sides' : 'no checksum'}, load average ${load1.toFixed(2)} on ${os.availableParallelism()} CPUs`,
  );
  console.log('size     messages   framewire msg/s   MB/s   framer msg/s    MB/s    wall     CPU');
  let wallMet = true;
  let cpuMet = true;
  try {
    for (const [label, size, count] of points) {
      const n = Math.max(10, Math.round(count * scale));
      const runFw = () => runFramewire(fw.port, size, n);
      const runBase = () => runBaseline(base.port, size, n);
      await runFw(); // warm-up
      await runBase();
      /** @type {Timing[]} */
      const tf = [];
      /** @type {Timing[]} */
      const tb = [];
      for (let r = 0; r < runs; r++) {
        // back to back, in alternating order, so that both see the same load
        if (r % 2 === 0) {
          tf.push(await runFw());
          tb.push(await runBase());
        } else {
          tb.push(await runBase());
          tf.push(await runFw());
        }
      }
      const wall = median(tf.map((t, r) => tb[r].wall / t.wall));
      const cpu = median(tf.map((t, r) => tb[r].cpu / t.cpu));
      if (wall < 1) wallMet = false;
      if (cpu < 1) cpuMet = false;
      const rate = (/** @type {Timing[]} */ ts) => Math.round(n / median(ts.map((t) => t.wall))).toLocaleString('en-US').padStart(15);
      const mb = (/** @type {Timing[]} */ ts) => ((n * size) / median(ts.map((t) => t.wall)) / 1e6).toFixed(1).padStart(7);
      console.log(
        `${label.padEnd(8)} ${String(n).padStart(8)} ${rate(tf)} ${mb(tf)} ${rate(tb)} ${mb(tb)} ${wall.toFixed(2).padStart(6)}x ${cpu.toFixed(2).padStart(6)}x`,
      );
    }
  } finally {
    fw.stop();
    base.stop();
  }
  console.log("wall: the framer's time over Framewire's; CPU: the framer's CPU time (sender and receiver) over Framewire's;");
  console.log("each the median of the runs' ratios (on a loaded machine the CPU ratio is the steadier one)");
  console.log(`target >= 1.00x at every size: wall ${wallMet ? 'met' : 'NOT met'}, CPU ${cpuMet ? 'met' : 'NOT met'}`);
}
