// A sweep's run as the tracker sees it: the run's tracker (MLflow, or nothing) is told the trials,
// each with its own assignments, vars and tags and the nodes it has in this run, so that it logs
// a run per trial nested under the sweep's run. A trial whose nodes all come from the store and
// that was logged complete before is linked to that run, not logged again; a trial that completes
// here is remembered for the next run.
import type { Plan } from '../graph/plan.js';
import type { RunObserver } from '../track/observer.js';
import type { TrialRunInfo } from '../track/sweep-runs.js';
import type { SweepTrackingData } from '../track/sweep-data.js';
import type { SpecSummary } from './spec.js';
import type { TrialContext } from './trial-context.js';
import { readTrialRun, sameTrackingUri, saveTrialRun, trialKey } from './trial-runs.js';
import type { NodeId } from '../util/ids.js';

export type { SweepTrackingData };

export interface SweepTrackingOptions {
  plan: Plan;
  spec: SpecSummary;
  contexts: Map<string, TrialContext>;
  runsDir: string;
  /** Where the tracker logs (credentials removed); a trial logged elsewhere is not linked. */
  trackingTarget?: string;
  /** With --target: the nodes this run is about. */
  scope?: ReadonlySet<NodeId>;
}

/** The sweep's settings as params of its run: `sweep.id`, `sweep.trials`, `sweep.grid.<path>`, `sweep.variants`, `sweep.random`. */
export function sweepParams(id: string, trials: number, spec: SpecSummary): Record<string, string> {
  const out: Record<string, string> = { 'sweep.id': id, 'sweep.trials': String(trials) };
  for (const [path, values] of Object.entries(spec.grid)) out[`sweep.grid.${path}`] = JSON.stringify(values);
  if (spec.variants.length) out['sweep.variants'] = JSON.stringify(spec.variants.map((v) => v.name));
  if (spec.random) out['sweep.random'] = JSON.stringify(spec.random);
  return out;
}

/** The sweep's trials and settings as the tracker needs them, from the plan. */
export function sweepTrackingData(opts: SweepTrackingOptions): SweepTrackingData {
  const { plan } = opts;
  const sweep = plan.recipe.sweep!;
  const nodesOf = new Map<string, NodeId[]>(sweep.trials.map((t) => [t.id, []]));
  for (const id of plan.order) for (const t of plan.nodes.get(id)!.spec.trials ?? []) nodesOf.get(t)!.push(id);
  const keyOf = new Map(sweep.trials.map((t) => [t.id, trialKey(nodesOf.get(t.id)!.map((id) => plan.nodes.get(id)!.key))]));
  const reported = (id: NodeId) => {
    const n = plan.nodes.get(id)!;
    return (n.run || n.status === 'hit') && (!opts.scope || opts.scope.has(id));
  };
  const trials: TrialRunInfo[] = sweep.trials.map((t) => {
    const all = nodesOf.get(t.id)!;
    const fromStore = all.every((id) => plan.nodes.get(id)!.status === 'hit' && !plan.nodes.get(id)!.run);
    const earlier = fromStore ? readTrialRun(opts.runsDir, keyOf.get(t.id)!) : undefined;
    const linkTo = earlier && sameTrackingUri(earlier.trackingUri, opts.trackingTarget) ? earlier.mlflowRunId : undefined;
    const own = opts.contexts.get(t.id);
    return { id: t.id, assignments: t.assignments, vars: own?.vars ?? {}, tags: own?.tags ?? {}, nodes: all.filter(reported), ...(linkTo ? { linkTo } : {}) };
  });
  return {
    id: sweep.id, trials, params: sweepParams(sweep.id, trials.length, opts.spec),
    nodesOf: Object.fromEntries(nodesOf), keyOf: Object.fromEntries(keyOf),
  };
}

export function sweepTracking(inner: RunObserver, opts: SweepTrackingOptions): RunObserver {
  return sweepTrackingOf(inner, sweepTrackingData(opts), opts.runsDir);
}

/** The sweep's tracker over `inner`, from the sweep's data. */
export function sweepTrackingOf(inner: RunObserver, data: SweepTrackingData, runsDir: string): RunObserver {
  const { trials } = data;
  // Which nodes of each trial ended well in this run: a trial is remembered only when all did.
  const good = new Set<NodeId>();
  return {
    runStarted: (run) => inner.runStarted({
      ...run,
      params: { ...run.params, ...data.params },
      sweep: { id: data.id, trials },
    }),
    nodeStarted: (node) => inner.nodeStarted(node),
    nodeMetric: (node, point) => inner.nodeMetric(node, point),
    nodeFinished: (node, result) => { if (result.status === 'ok') good.add(node.id); return inner.nodeFinished(node, result); },
    nodeCached: (node, producedBy, metrics) => { good.add(node.id); return inner.nodeCached(node, producedBy, metrics); },
    runFinished: (summary) => inner.runFinished(summary),
    runArtifacts: inner.runArtifacts && ((files) => inner.runArtifacts!(files)),
    runRef: inner.runRef && (() => inner.runRef!()),
    trialRef: inner.trialRef && ((id) => inner.trialRef!(id)),
    async close() {
      // Refs are read before close: the tracker keeps them, but a closed one may have let go of its backend.
      const refs = trials.filter((t) => !t.linkTo).map((t) => [t, inner.trialRef?.(t.id)] as const);
      await inner.close();
      for (const [t, ref] of refs) {
        // Both are made for every trial of data.trials; a trial without them is not remembered.
        const nodes = data.nodesOf[t.id];
        const key = data.keyOf[t.id];
        if (nodes === undefined || key === undefined) continue;
        const complete = nodes.every((id) => good.has(id));
        if (!complete || !ref?.mlflowRunId || !ref.trackingUri) continue;
        saveTrialRun(
          runsDir,
          key,
          { trial: t.id, sweep: data.id, mlflowRunId: ref.mlflowRunId, trackingUri: ref.trackingUri, savedAt: new Date().toISOString() },
        );
      }
    },
  };
}
