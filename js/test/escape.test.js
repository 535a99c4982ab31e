import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeControl, FramewireError, MAX_SHOWN } from '../src/errors.js';

const EVIL = '\x1b]0;pwned\x07\x1b[2J\r\nforged log line \u202etxt.exe\u2066' + '\x9b'.repeat(90);
const RAW = ['\x1b', '\x07', '\r', '\n', '\u202e', '\u2066', '\x9b'];

test('escapeControl: controls, C1 and bidi characters become escapes (FW-SEC-5)', () => {
  assert.equal(escapeControl('a\x1bb\u202ec\u200fd\\e'), 'a\\x1bb\\u202ec\\u200fd\\\\e');
  assert.equal(escapeControl('plain text, 100 % safe'), 'plain text, 100 % safe');
});

test('escapeControl: long text is cut between escapes, with a marker', () => {
  assert.equal(escapeControl('\x1b'.repeat(100), 10), '\\x1b\\x1b[... 98 more characters]');
  const shown = escapeControl(EVIL);
  assert.ok(shown.endsWith('more characters]'));
  assert.ok([...shown].length <= MAX_SHOWN + '[... 999 more characters]'.length);
});

test('a received ERROR reason is shown escaped and cut; the reason itself is kept', () => {
  const error = new FramewireError(305, EVIL, { remote: true, reason: EVIL });
  for (const c of RAW) assert.ok(!error.message.includes(c), `raw ${JSON.stringify(c)} in the message`);
  assert.ok(error.message.includes('\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x0aforged log line \\u202etxt.exe\\u2066'));
  assert.equal(error.reason, EVIL);
});
