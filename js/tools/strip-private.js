#!/usr/bin/env node
// Removes the private members (names that start with `_`) of the classes in the emitted
// declaration files, so that a TypeScript user sees, and can use, only the public API.
// The JavaScript sources mark private members with the leading underscore; `tsc` emits
// them as public properties, and `@private` would still show them.
//
// Usage: node tools/strip-private.js DIR   (rewrites every .d.ts file under DIR)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** @param {ts.ClassElement | ts.TypeElement} member */
function isPrivate(member) {
  const name = member.name;
  return name !== undefined && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) && /^[_#]/.test(name.text);
}

/** @param {string} text @param {string} fileName */
export function stripPrivate(text, fileName) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  /** @type {ts.TransformerFactory<ts.SourceFile>} */
  const transformer = (context) => (root) => {
    /** @type {ts.Visitor} */
    const visit = (node) => {
      if (ts.isClassDeclaration(node)) {
        return ts.factory.updateClassDeclaration(
          node, node.modifiers, node.name, node.typeParameters, node.heritageClauses,
          node.members.filter((member) => !isPrivate(member)),
        );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return /** @type {ts.SourceFile} */ (ts.visitNode(root, visit));
  };
  const [result] = ts.transform(source, [transformer]).transformed;
  return ts.createPrinter().printFile(result);
}

const directory = process.argv[2];
if (directory !== undefined) {
  for (const name of readdirSync(directory).filter((entry) => entry.endsWith('.d.ts'))) {
    const path = join(directory, name);
    writeFileSync(path, stripPrivate(readFileSync(path, 'utf8'), name));
  }
}
