// Every command-line tool in bin/ answers --help and rejects an unknown flag with one line
// on stderr and exit status 2 (never a stack trace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/', import.meta.url));
const LIBRARY_MODULES = new Set(['command-line.js']);
const TOOLS = readdirSync(BIN).filter((name) => name.endsWith('.js') && !LIBRARY_MODULES.has(name));

/** @param {string} tool @param {string[]} args */
function run(tool, args) {
  return spawnSync(process.execPath, [BIN + tool, ...args], { encoding: 'utf8', timeout: 10000, input: '' });
}

test('there are tools to check', () => {
  assert.ok(TOOLS.includes('echo-server.js') && TOOLS.includes('adapter.js'), TOOLS.join(', '));
});

for (const tool of TOOLS) {
  test(`${tool} --help prints its usage and exits 0`, () => {
    for (const flag of ['--help', '-h']) {
      const result = run(tool, [flag]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^usage: /);
      assert.equal(result.stderr, '');
    }
  });

  test(`${tool} rejects an unknown flag with one line and exit status 2`, () => {
    const result = run(tool, ['--no-such-flag']);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^[\w-]+: Unknown option '--no-such-flag' \(see --help\)\n$/);
  });
}
