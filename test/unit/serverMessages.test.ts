// The language server's user-facing messages come from one table (src/core/messages.ts): every key is
// used, the placeholders are {0}..{n-1}, and no ipp/* error, parameter problem or diagnostic in
// src/server is written as a literal beside it, nor any error's message, connection-file warning or
// reason a task or a connection ended with, in src/core or src/server.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { message, MESSAGES } from '../../src/core/messages';
import { repoRoot } from './support/fixtures';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}
const sources = [...tsFiles(join(repoRoot, 'src', 'server')), ...tsFiles(join(repoRoot, 'src', 'core'))].map((f) => ({
  file: relative(repoRoot, f),
  text: readFileSync(f, 'utf8'),
}));

describe('server messages: one table (src/core/messages.ts)', () => {
  it('every message of the table is used, through message()', () => {
    const used = new Set(sources.flatMap((s) => [...s.text.matchAll(/\bmessage\(\s*(?:[^'()]*\?\s*)?'(\w+)'(?:\s*:\s*'(\w+)')?/g)].flatMap((m) => [m[1], m[2]])));
    assert.deepEqual(Object.keys(MESSAGES).filter((k) => !used.has(k)), []);
  });

  it('placeholders are {0}..{n-1}, each used', () => {
    for (const [key, text] of Object.entries(MESSAGES)) {
      const ids = [...new Set([...text.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
      assert.deepEqual(ids, ids.map((_, i) => i), key);
    }
  });

  it('message() fills the placeholders and leaves a missing one visible', () => {
    assert.equal(message('invalidParam', 'targets', message('mustBeTargets')), 'Invalid params: "targets" must be "all", "balanced" or a non-empty list of engine ids.');
    assert.equal(message('diagnostic', 'ZeroDivisionError', 'division by zero', 'on engines 0, 1'), 'ZeroDivisionError: division by zero (on engines 0, 1)');
    assert.equal(message('unknownRun'), 'Unknown run or task "{0}": it may have been purged; ipp/tasks lists the known runs.');
  });

  it('no ResponseError, parameter problem or diagnostic message in src/server is a literal', () => {
    const patterns = [
      /new ResponseError\([^,]+,\s*['`"]/,
      /invalidParams\([^,]+,\s*['`"]/,
      /\bmessage:\s*['`"]/,
    ];
    const found = sources
      .filter((s) => s.file.startsWith('src/server'))
      .flatMap((s) => s.text.split('\n').map((line, i) => ({ line, at: `${s.file}:${i + 1}` })))
      .filter(({ line }) => patterns.some((re) => re.test(line)))
      .map(({ line, at }) => `${at}: ${line.trim()}`);
    assert.deepEqual(found, []);
  });

  it('no error message or end reason in src/core or src/server is a literal', () => {
    assert.deepEqual(literalUserTexts(), []);
  });

  it('the check finds a literal message or reason, in any argument, and honours the markers', () => {
    const found = (text: string) => literalUserTexts([{ file: 'src/core/x.ts', text }]).length;
    assert.equal(found("throw new Error('the file is gone');"), 1);
    assert.equal(found('throw new EngineGoneError(id, `engine ${id} has left`);'), 1);
    assert.equal(found("class E extends Error {\n  constructor() {\n    super(`no such thing: ${x}`);\n  }\n}"), 1);
    assert.equal(found("throw new ConnectError(message('refused', e.message));"), 0);
    assert.equal(found("throw new SshTunnelError(message('sshEmpty'), '');"), 0);
    assert.equal(found("throw new ZmqLoadError(e.message.split('\\n')[0]);"), 0);
    assert.equal(found("throw new Error(`no ${channel} socket`); // internal: every channel has a socket"), 0);
    assert.equal(found("this.lose('the cluster was shut down');"), 1);
    assert.equal(found("this.#teardown(`reconnecting failed: ${why}`);"), 1);
    assert.equal(found("lost.push({ msgId, reason: 'its reply never came' });"), 1);
    assert.equal(found("const reason = `the tunnel through ${server} is down`;"), 1);
    assert.equal(found("info.reason = reply.reason ?? 'aborted before it ran';"), 1);
    assert.equal(found("ctx.tasks.finish(msgId, 'lost', message('noHubRecord'));"), 0);
    assert.equal(found("info.warnings.unshift(`${file} is readable by others`);"), 1);
    assert.equal(found('/** Cause: x.\n * Internal: its message is logged.\n */\nclass QuietError extends Error {}\nthrow new QuietError(`bad frame ${n}`);'), 0);
  });
});

/**
 * The rule: in src/core and src/server, an error's message and the reason a task or a connection ended
 * come from the table. These may not hold a string or template literal with text (two words) outside a
 * `message(…)` call: an argument of `new <Name>Error(…)` (also `new Error`, `new TypeError`) or of
 * `super(…)` in a class extending an error; an argument of lose, lost, teardown, finish, failAll or
 * failEngine (what ends a connection or tasks, with its reason); the value given to anything named
 * `reason` (a variable, a property, an assignment); what is pushed onto a list of `warnings`. Exempt: errors of a class whose doc block says
 * "Internal:" (its message is only logged), and a line marked `// internal: <why>` (an assertion a user
 * cannot cause). Returns "file:line: code".
 */
function literalUserTexts(files = sources): string[] {
  const parsed = files.map((f) => ({ ...f, sf: ts.createSourceFile(f.file, f.text, ts.ScriptTarget.ES2022, true) }));
  const internal = new Set<string>();
  for (const { sf } of parsed) {
    sf.forEachChild(function visit(n: ts.Node): void {
      if (ts.isClassDeclaration(n) && n.name && ts.getJSDocCommentsAndTags(n).some((d) => /^\s*\*?\s*Internal:/m.test(d.getText()))) internal.add(n.name.text);
      n.forEachChild(visit);
    });
  }
  const isText = (n: ts.Node) =>
    (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n)) &&
    /[A-Za-z]+\s+[A-Za-z]+/.test(ts.isTemplateExpression(n) ? [n.head.text, ...n.templateSpans.map((t) => t.literal.text)].join('') : n.text);
  const hasText = (n: ts.Node): boolean =>
    isText(n) || (!(ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'message') && (n.forEachChild(hasText) ?? false));
  const out: string[] = [];
  for (const { file, text, sf } of parsed) {
    const lines = text.split('\n');
    sf.forEachChild(function visit(n: ts.Node): void {
      n.forEachChild(visit);
      const checked = userText(n, sf);
      if (checked === undefined || internal.has(checked.errorClass ?? '') || !checked.values.some(hasText)) return;
      const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      if (/\/\/ internal: \S/.test(lines[line])) return;
      out.push(`${file}:${line + 1}: ${lines[line].trim()}`);
    });
  }
  return out;
}

const ENDINGS = new Set(['lose', 'lost', 'teardown', 'finish', 'failAll', 'failEngine']);

/** The expressions of `n` that hold user-facing text (see literalUserTexts), and the error class it makes. */
function userText(n: ts.Node, sf: ts.SourceFile): { values: readonly ts.Node[]; errorClass?: string } | undefined {
  if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && /Error$/.test(n.expression.text)) return { values: n.arguments ?? [], errorClass: n.expression.text };
  if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) {
    const cls = ts.findAncestor(n, ts.isClassDeclaration);
    const base = cls?.heritageClauses?.[0]?.types[0]?.expression.getText(sf) ?? '';
    return /Error$/.test(base) ? { values: n.arguments, errorClass: cls?.name?.text ?? base } : undefined;
  }
  if (ts.isCallExpression(n)) {
    const callee = ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : ts.isIdentifier(n.expression) ? n.expression.text : '';
    const warnings = ts.isPropertyAccessExpression(n.expression) && /^(push|unshift)$/.test(callee) && /warnings$/i.test(n.expression.expression.getText(sf));
    return ENDINGS.has(callee.replace(/^#/, '')) || warnings ? { values: n.arguments } : undefined;
  }
  const named = (name: ts.Node | undefined) => name !== undefined && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) && name.text === 'reason';
  if ((ts.isVariableDeclaration(n) || ts.isPropertyAssignment(n) || ts.isPropertyDeclaration(n)) && named(n.name) && n.initializer) return { values: [n.initializer] };
  if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && named(n.left.name)) return { values: [n.right] };
  return undefined;
}
