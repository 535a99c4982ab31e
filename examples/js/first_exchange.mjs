// A first exchange in JavaScript: an echo server and a client in one program, on loopback.
import { once } from 'node:events';
import { createServer, open } from '@framewire/framewire';

const server = createServer({ framing: 'length-prefixed' }, (session) => {
  session.on('message', (m) => session.send(m.type, m.payload, { flags: m.flags })); // echo
  session.on('end', () => session.end()); // the client is done: half-close too
  session.on('error', (e) => console.error('server:', e.message));
});
server.listen(0, '127.0.0.1'); // port 0: any free port
await once(server, 'listening');
const { port } = server.address();

const client = await open({ host: '127.0.0.1', port }); // the handshake is done
client.send(0x40, new TextEncoder().encode('hello'), { flags: 3 });
const reply = await client.receive({ timeout: 5000 }); // times are in milliseconds
console.log(`echoed: type 0x${reply.type.toString(16)}, flags ${reply.flags},`,
  `payload ${new TextDecoder().decode(reply.payload)}`);
const rtt = await client.pingMs(); // the round-trip time in milliseconds (Python's ping(): seconds)
console.log('PING answered, round trip under 5000 ms:', rtt < 5000);
client.end(); // half-close: the server's session ends, then ours
await once(client, 'close');
server.close();
