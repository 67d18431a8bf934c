// The module graph of src/ and plugins/, read with the TypeScript parser: every relative import of
// every file, static, type-only or lazy (`import()`, `new URL(…, import.meta.url)`). Shared by the
// tests of layers, cycles and reachability.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '..');

export interface Edge { to: string; kind: 'static' | 'type' | 'lazy' }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'build' ? [] : sourceFiles(path);
    return /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file a relative specifier names: sources are imported by their compiled `.js` names. */
function target(from: string, spec: string, files: Set<string>): string | undefined {
  const path = resolve(dirname(from), spec);
  for (const candidate of [path.replace(/\.js$/, '.ts'), path, path.replace(/\.js$/, '.mjs')]) if (files.has(candidate)) return candidate;
  return undefined;
}

const typeOnly = (clause: ts.ImportClause | undefined): boolean => {
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings)
    && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
};

/** Relative imports of one file: static ones, type-only ones, and lazy ones (`import()`, `new URL(…, import.meta.url)`). */
function edgesOf(file: string, files: Set<string>): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (spec: string, kind: Edge['kind']) => {
    if (!spec.startsWith('.')) return;
    const to = target(file, spec, files);
    if (to) edges.push({ to, kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, typeOnly(node.importClause) ? 'type' : 'static');
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, node.isTypeOnly ? 'type' : 'static');
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) add(arg.text, 'lazy');
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL') {
      const [arg] = node.arguments ?? [];
      if (arg && ts.isStringLiteralLike(arg)) add(arg.text, 'lazy');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

export const files = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'plugins'))];
export const fileSet = new Set(files);
export const graph = new Map(files.map((f) => [f, edgesOf(f, fileSet)]));
export const rel = (f: string) => relative(ROOT, f);

