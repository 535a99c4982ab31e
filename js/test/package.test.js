// The package as a Node user gets it: `npm pack`, then the tarball (and the checkout
// directory) installed into a temporary TypeScript project with `strict: true`, which must
// compile against the emitted declarations; the README's session example runs there and
// must exit by itself. Offline: the package has no runtime dependencies, and the compiler
// is this package's own dev dependency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(PACKAGE_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPE_ROOTS = join(PACKAGE_DIR, 'node_modules', '@types');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A consumer that uses each entry point, with deliberate type errors it must catch (a
 * directive `@ts-expect-error` above code that compiles fails the check). */
const CONSUMER_SOURCE = `
import { encodeMessage, createDecoder, FramewireError } from '@framewire/framewire/codec';
import { createServer, open, type Session } from '@framewire/framewire/session';
import * as framewire from '@framewire/framewire';

const bytes: Uint8Array = encodeMessage('length-prefixed', 0x40, new TextEncoder().encode('hi'));
for (const event of createDecoder({ framing: 'length-prefixed' }).feed(bytes)) {
  if (event.kind === 'message') {
    const type: number = event.type;
    console.log(type);
  }
  if (event.kind === 'error') {
    const error: FramewireError = event.error;
    console.log(error.errorName);
  }
}
// @ts-expect-error: the declarations are real types, not \`any\`
encodeMessage('length-prefixed', 'not a type', bytes);
const server = createServer({ framing: 'delimited' }, (session: Session) => {
  session.on('message', (m) => {
    const payload: Uint8Array = m.payload;
    // @ts-expect-error: a message's type is a number
    const type: string = m.type;
    console.log(payload, type);
  });
  session.on('open', (peer) => console.log(peer.maxFrameSize + 1));
  session.on('error', (e) => console.log(e.message));
  session.once('close', () => undefined);
  // @ts-expect-error: a misspelt event name
  session.on('mesage', () => undefined);
  // @ts-expect-error: 'end' passes no argument
  session.on('end', (why: string) => console.log(why));
  // @ts-expect-error: a PONG carries bytes
  session.off('pong', (data: string) => console.log(data));
  // @ts-expect-error: the round trip is pingMs(), named for its unit
  void session.ping();
  session.end();
});
const opening: Promise<Session> = open({ host: '127.0.0.1', port: 1 });
void opening.catch(() => undefined);
server.close();
export const core = new framewire.SessionCore({ framing: 'length-prefixed' });
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    noEmit: true,
    types: ['node'],
    typeRoots: [TYPE_ROOTS],
    // The consumer's own code is checked against the package's declarations (a missing
    // or untyped declaration fails it); checking @types/node itself is not our concern.
    skipLibCheck: true,
  },
  files: ['index.ts'],
};

/** @param {string} command @param {string[]} args @param {string} cwd */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A consumer project in a new temporary directory, with `spec` installed into it. @param {string} spec */
function consumer(spec) {
  const dir = mkdtempSync(join(tmpdir(), 'framewire-consumer-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  writeFileSync(join(dir, 'index.ts'), CONSUMER_SOURCE);
  run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', spec], dir);
  return dir;
}

/** The README's session example (the block that starts a server), as a program. */
function readmeSessionExample() {
  const readme = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((block) => block.includes('createServer('));
  assert.ok(example !== undefined, 'no session example in README.md');
  return example;
}

test('npm pack, install the tarball and the directory, compile a strict TypeScript consumer', { timeout: 300000 }, () => {
  const packDir = mkdtempSync(join(tmpdir(), 'framewire-pack-'));
  const made = [packDir];
  try {
    const tarball = run(NPM, ['pack', '--silent', '--pack-destination', packDir], PACKAGE_DIR).trim().split('\n').pop() ?? '';
    assert.ok(tarball.endsWith('.tgz'), `npm pack printed ${tarball}`);
    const listed = run('tar', ['-tzf', join(packDir, tarball)], packDir);
    assert.match(listed, /package\/dist\/types\/index\.d\.ts/);
    assert.match(listed, /package\/bin\/echo-server\.js/);

    for (const spec of [join(packDir, tarball), PACKAGE_DIR]) {
      const dir = consumer(spec);
      made.push(dir);
      run(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
    }

    // the README's session example, run where the tarball is installed: it must exit
    const dir = made[1];
    writeFileSync(join(dir, 'session-example.mjs'), readmeSessionExample());
    const out = run(process.execPath, ['session-example.mjs'], dir);
    assert.equal(out, 'PING answered: true\nechoed: hi\n');
  } finally {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  }
});
