// Every reason code a policy or safety stage can put on a decision is explained in the operator
// guide, so a person reading `lagpilot explain` or /api/decisions can look any code up. The codes
// are read from the source: string literals passed to reason(), changeDesired() or abstain(), and
// those assigned to a variable named `code` (a code chosen by a condition).
import { expect } from 'chai';
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const policiesDir = join(repoRoot, 'src', 'policies');
const guidePath = join(repoRoot, 'docs', 'operator-guide.md');
const reasonCalls = new Set(['reason', 'changeDesired', 'abstain']);
const codeShape = /^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$/;

function stringLiterals(node: ts.Node): string[] {
  if (ts.isStringLiteral(node)) return [node.text];
  return node.getChildren().flatMap((child) => stringLiterals(child));
}

/** Reason codes of one source file, each with the file and line it is emitted at. */
function reasonCodesOf(file: string): Map<string, string> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const codes = new Map<string, string>();
  const keep = (node: ts.Node, candidates: readonly string[]): void => {
    for (const candidate of candidates) {
      if (!codeShape.test(candidate)) continue;
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      codes.set(candidate, `${relative(repoRoot, file)}:${line}`);
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && reasonCalls.has(node.expression.text)) {
      keep(node, node.arguments.flatMap((argument) => stringLiterals(argument)));
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'code' && node.initializer !== undefined) {
      keep(node, stringLiterals(node.initializer));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return codes;
}

function allReasonCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of globSync('**/*.ts', { cwd: policiesDir })) {
    if (file.endsWith('.test.ts')) continue;
    for (const [code, where] of reasonCodesOf(join(policiesDir, file))) codes.set(code, where);
  }
  return codes;
}

describe('reason codes in docs/operator-guide.md', () => {
  const codes = allReasonCodes();

  it('finds the codes of policies and safety stages, however they are chosen', () => {
    // One of each form: reason(), changeDesired(), abstain(), a conditional code variable.
    for (const known of ['HighestRecommendation', 'PartitionCap', 'NoBacklogData', 'UtilizationAboveTarget', 'RiseNotSustained']) {
      expect([...codes.keys()], known).to.include(known);
    }
    expect(codes.size).to.be.greaterThan(40);
  });

  it('explains every one of them in the reason-code tables', () => {
    const guide = readFileSync(guidePath, 'utf8');
    const documented = new Set([...guide.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((match) => match[1]));
    const missing = [...codes].filter(([code]) => !documented.has(code)).map(([code, where]) => `${code} (${where})`);
    expect(missing, 'reason codes emitted in src/policies but not in a table of docs/operator-guide.md').to.deep.equal([]);
  });
});
