import type { CompiledRecipe } from '../../graph/types.js';
import { parse, RECIPE_OPTIONS, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { prepare, runsDirOf } from '../session.js';
import type { NodeId } from '../../util/ids.js';

export const command: CliCommand = {
  name: 'dag',
  summary: 'print the graph of a recipe as Mermaid or DOT',
  help: `Usage: retort dag <recipe.yaml> [--format mermaid|dot] [--stages] [-S path=value]...

Prints the node graph (edges labelled with ports). --stages collapses foreach
and repeat instances into one box per stage.`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, { ...RECIPE_OPTIONS, format: { type: 'string' }, stages: { type: 'boolean' } }, { min: 1, max: 1, names: 'one recipe file' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const format = values.format ?? 'mermaid';
    if (format !== 'mermaid' && format !== 'dot') throw new UsageError(`--format expects mermaid or dot, got '${format}'`);
    const prepared = await prepare(positionals[0], values.set ?? [], runsDirOf(values['runs-dir'], io), io);
    io.stdout.write(renderDag(prepared.recipe, format, Boolean(values.stages)) + '\n');
    return EXIT.ok;
  },
};

export function dagEdges(recipe: CompiledRecipe, byStage: boolean): {
  nodes: { id: string; label: string }[];
  edges: { from: string; to: string; label: string }[];
} {
  const nodes = new Map<string, string>();
  const edges = new Map<string, { from: string; to: string; label: string }>();
  const name = (id: NodeId) => (byStage ? recipe.nodes.get(id)!.stage : id);
  for (const id of recipe.order) {
    const spec = recipe.nodes.get(id)!;
    const count = recipe.stages.get(spec.stage)!.length;
    nodes.set(name(id), byStage ? `${spec.stage} (${spec.plugin.def.id}${count > 1 ? ` ×${count}` : ''})` : `${id} (${spec.plugin.def.id})`);
    for (const [port, value] of Object.entries(spec.inputs)) {
      for (const ref of [value].flat()) {
        if (ref.kind !== 'node') continue;
        const e = { from: name(ref.node), to: name(id), label: ref.port === port ? port : `${ref.port} → ${port}` };
        edges.set(`${e.from}\u0000${e.to}\u0000${e.label}`, e);
      }
    }
  }
  return { nodes: [...nodes].map(([id, label]) => ({ id, label })), edges: [...edges.values()] };
}

export function renderDag(recipe: CompiledRecipe, format: 'mermaid' | 'dot', byStage: boolean): string {
  const { nodes, edges } = dagEdges(recipe, byStage);
  const ids = new Map(nodes.map((n, i) => [n.id, `n${i}`]));
  if (format === 'dot') {
    const q = (s: string) => JSON.stringify(s);
    return ['digraph retort {', '  rankdir=LR;', '  node [shape=box];',
      ...nodes.map((n) => `  ${ids.get(n.id)} [label=${q(n.label)}];`),
      ...edges.map((e) => `  ${ids.get(e.from)} -> ${ids.get(e.to)} [label=${q(e.label)}];`), '}'].join('\n');
  }
  const m = (s: string) => s.replace(/"/g, '#quot;');
  return ['flowchart LR', ...nodes.map((n) => `  ${ids.get(n.id)}["${m(n.label)}"]`),
    ...edges.map((e) => `  ${ids.get(e.from)} -->|"${m(e.label)}"| ${ids.get(e.to)}`)].join('\n');
}
