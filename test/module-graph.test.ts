// The module graph of src/ and plugins/: no cycle of static imports (a cycle makes what a module
// sees at load time depend on which module is imported first), and no module that only tests
// reach (code users cannot run is either connected to an entry or deleted).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSet, files, graph, rel, ROOT } from './module-graph.js';

/** Programs and entry modules, each with what starts it. */
function entries(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const bin = readFileSync(join(ROOT, 'bin', 'retort.js'), 'utf8');
  const jobSpec = readFileSync(join(ROOT, 'src/exec/slurm/job-spec.ts'), 'utf8');
  const out: string[] = [];
  // `retort`: bin/retort.js imports the compiled CLI.
  expect(bin).toContain('dist/src/cli/main.js');
  out.push('src/cli/main.ts');
  // The plugin library's public entry, for plugin authors.
  out.push('src/lib/index.ts');
  // Each Slurm job runs `node job-main.js <spec>`; job-spec.ts names the file.
  expect(jobSpec).toContain("'job-main.js'");
  out.push('src/exec/slurm/job-main.ts');
  // Install scripts that npm runs.
  for (const m of (pkg.scripts.postinstall ?? '').matchAll(/node (\S+\.mjs)/g)) out.push(m[1]!);
  // Built-in plugins, loaded by path from recipes.
  for (const f of files) if (/^plugins\/[^/]+\/index\.ts$/.test(rel(f))) out.push(rel(f));
  return out.map((f) => join(ROOT, f));
}

describe('the module graph of src/ and plugins/', () => {
  it('is read whole (imports of every kind are found)', () => {
    const kinds = new Set([...graph.values()].flat().map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['lazy', 'static', 'type']);
    expect(files.length).toBeGreaterThan(400);
  });

  it('has no cycle of static imports', () => {
    // Strongly connected components over static (value) imports; type-only and lazy imports cannot
    // change what a module sees while it loads.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[] = [];
    const connect = (v: string): void => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      for (const { to, kind } of graph.get(v) ?? []) {
        if (kind !== 'static') continue;
        if (!index.has(to)) {
          connect(to);
          low.set(v, Math.min(low.get(v)!, low.get(to)!));
        } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
      if (low.get(v) !== index.get(v)) return;
      const members: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); members.push(rel(w)); } while (w !== v);
      if (members.length > 1) cycles.push(members.sort().join(' <-> '));
    };
    for (const f of files) if (!index.has(f)) connect(f);
    expect(cycles).toEqual([]);
  });

  it('has no module that only tests reach', () => {
    const reached = new Set<string>();
    const todo = entries();
    for (const entry of todo) expect(fileSet.has(entry), rel(entry)).toBe(true);
    while (todo.length) {
      const f = todo.pop()!;
      if (reached.has(f)) continue;
      reached.add(f);
      for (const { to } of graph.get(f) ?? []) todo.push(to);
    }
    expect(files.filter((f) => !reached.has(f)).map(rel)).toEqual([]);
  });
});
