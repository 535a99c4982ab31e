// JavaScript talks to Python: a Python echo server (`framewire echo`), a JavaScript client.
// The first argument is the Python that has the framewire package (default: python3).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { open } from '@framewire/framewire';

const python = process.argv[2] ?? 'python3';
const echo = spawn(python, ['-m', 'framewire', 'echo', '127.0.0.1:0', '--once', '--quiet',
  '--framing', 'delimited', '--checksum'], { stdio: ['ignore', 'inherit', 'pipe'] });
// Its first line on stderr says where it listens: "listening on 127.0.0.1:PORT".
const [line] = await once(createInterface({ input: echo.stderr }), 'line');
const port = Number(line.split(':').pop());

const client = await open({ host: '127.0.0.1', port }, { framing: 'delimited', checksum: true });
console.log('Python announced max frame size:', client.peer.maxFrameSize);
for (const text of ['from JavaScript', 'to Python and back']) {
  client.send(0x40, new TextEncoder().encode(text));
  const reply = await client.receive({ timeout: 5000 });
  console.log('echoed:', new TextDecoder().decode(reply.payload));
}
client.end();
await once(client, 'close');
const [code] = await once(echo, 'exit'); // --once: the server exits after this connection
console.log('the Python server exited with status', code);
