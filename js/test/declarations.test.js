// The emitted declarations (dist/types, made by `npm run build:types`) show the public API
// only: no member whose name starts with `_` (private by the sources' convention).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { stripPrivate } from '../tools/strip-private.js';

const TYPES = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'types');

/** The class members named `_...` in a declaration file. @param {string} text */
function privateMembers(text) {
  const source = ts.createSourceFile('x.d.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  /** @type {string[]} */
  const found = [];
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isClassDeclaration(node)) {
      for (const member of node.members) {
        const name = member.name;
        if (name !== undefined && ts.isIdentifier(name) && name.text.startsWith('_')) found.push(name.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the declaration files show no private member', () => {
  const files = readdirSync(TYPES).filter((name) => name.endsWith('.d.ts'));
  assert.ok(files.includes('session.d.ts'), `no declarations in ${TYPES}: run npm run build:types`);
  for (const name of files) {
    assert.deepEqual(privateMembers(readFileSync(join(TYPES, name), 'utf8')), [], name);
  }
});

test('stripPrivate removes members named _x and keeps the rest', () => {
  const text = 'export class A {\n    /** kept */\n    open: boolean;\n    _inbox: number[];\n    _flush(): void;\n    send(): void;\n}\n';
  const stripped = stripPrivate(text, 'a.d.ts');
  assert.deepEqual(privateMembers(stripped), []);
  assert.match(stripped, /open: boolean;/);
  assert.match(stripped, /send\(\): void;/);
  assert.match(stripped, /\/\*\* kept \*\//);
});
