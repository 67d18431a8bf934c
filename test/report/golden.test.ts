// The Markdown and LaTeX renderings against golden files (UPDATE_GOLDEN=1 rewrites them after a
// deliberate change; review the diff), and the LaTeX compiled by pdflatex.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTables, type Format } from '../../src/report/render.js';
import { methodsByTask, trialSummary } from './fixtures.js';

const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));

function rendered(format: Format, provenance = false): string {
  const tables = [methodsByTask(), trialSummary()];
  return renderTables(tables.map((t) => t.spec), tables, format, { provenance }) + '\n';
}

function golden(name: string, text: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

describe('golden renderings', () => {
  it('Markdown', () => golden('tables.md', rendered('markdown')));
  it('Markdown with provenance footnotes', () => golden('tables-provenance.md', rendered('markdown', true)));
  it('LaTeX', () => golden('tables.tex', rendered('latex')));
});

const hasPdflatex = spawnSync('pdflatex', ['--version'], { stdio: 'ignore' }).status === 0;
const INSTALL = 'apt-get install texlive-latex-base texlive-latex-recommended';
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('LaTeX output', () => {
  // In CI a missing pdflatex is a failure; elsewhere the test is skipped and its name says how to install it.
  const run = hasPdflatex || process.env.CI === 'true' ? it : it.skip;
  run(hasPdflatex ? 'compiles with pdflatex when \\input into a document with booktabs' : `compiles with pdflatex (pdflatex not found: ${INSTALL})`, () => {
    expect(hasPdflatex, `pdflatex is needed in CI: ${INSTALL}`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'retort-latex-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tables.tex'), rendered('latex'));
    writeFileSync(join(dir, 'doc.tex'), [
      '\\documentclass{article}', '\\usepackage[T1]{fontenc}', '\\usepackage{booktabs}', '\\begin{document}',
      '\\begin{table}\\centering', '\\input{tables.tex}', '\\end{table}', '\\end{document}', '',
    ].join('\n'));
    const res = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(res.status, res.stdout.split('\n').filter((l) => l.startsWith('!') || l.startsWith('l.')).join('\n')).toBe(0);
    expect(existsSync(join(dir, 'doc.pdf'))).toBe(true);
    // No "Missing character" or overfull complaints about unknown glyphs: every character was typeset.
    expect(readFileSync(join(dir, 'doc.log'), 'utf8')).not.toMatch(/Missing character/);
  }, 60_000);
});
