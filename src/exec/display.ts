// What a run shows: a live view on a terminal (a line per running node, an overall bar), plain lines elsewhere.
import type { NodeOutcome as Outcome } from '../store/runs.js';
import type { NodeId } from '../util/ids.js';
import { count } from '../util/plural.js';

export interface Display {
  start(total: { toRun: number; hits: number; nodes: number }): void;
  nodeStarted(id: NodeId): void;
  nodeProgress(id: NodeId, done: number, total: number): void;
  nodeLog(id: NodeId, level: 'info' | 'warn' | 'error', line: string, cached?: boolean): void;
  /** A cluster job still queued, and the cluster's reason (Priority, Resources, Dependency…). */
  nodeQueued(id: NodeId, reason: string): void;
  /** A node's job runs again after its machine failed or it was preempted. */
  nodeRetry(id: NodeId, detail: string): void;
  nodeEnded(id: NodeId, outcome: Outcome, detail?: string): void;
  message(line: string): void;
  finish(): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function createDisplay(out: Stream, opts: { quiet?: boolean; tty?: boolean } = {}): Display {
  const tty = opts.tty ?? Boolean(out.isTTY);
  return tty ? new TerminalDisplay(out, opts.quiet) : new PlainDisplay(out, opts.quiet);
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

// A terminal redraws at most once per this many ms; lines in between are batched.
const REDRAW_MS = 50;
// Up to this many hits are listed one by one; more are only counted (the first line says how many).
const LISTED_HITS = 50;

class PlainDisplay implements Display {
  private readonly started = new Map<NodeId, number>();
  private listHits = true;
  constructor(private readonly out: Stream, private readonly quiet = false) {}
  start(total: { toRun: number; hits: number; nodes: number }): void {
    this.listHits = total.hits <= LISTED_HITS;
    this.out.write(`${count(total.nodes, 'node')}: ${total.hits} cached, ${total.toRun} to run\n`);
  }
  nodeStarted(id: NodeId): void {
    this.started.set(id, Date.now());
    this.out.write(`[start] ${id}\n`);
  }
  nodeProgress(): void { /* plain output shows no intermediate progress */ }
  nodeQueued(id: NodeId, reason: string): void {
    // A job with nothing holding it back is only waiting for the next scheduling pass.
    if (reason !== 'None') this.out.write(`[queued] ${id}: ${reason}\n`);
  }
  nodeRetry(id: NodeId, detail: string): void { this.out.write(`[retry] ${id}: ${detail}\n`); }
  nodeLog(id: NodeId, _level: string, line: string, cached?: boolean): void {
    if (!this.quiet) this.out.write(`  ${id}${cached ? ' (cached)' : ''} | ${line}\n`);
  }
  nodeEnded(id: NodeId, outcome: Outcome, detail?: string): void {
    if (outcome === 'hit' && !this.listHits) return;
    const t = this.started.get(id);
    const time = t ? ` (${duration(Date.now() - t)})` : '';
    this.out.write(`[${outcome}] ${id}${time}${detail ? `: ${detail}` : ''}\n`);
  }
  message(line: string): void { this.out.write(line + '\n'); }
  finish(): void { /* nothing pending */ }
}

class TerminalDisplay implements Display {
  /** Per running node: its start, its latest progress, and its first progress report (the ETA's base). */
  private readonly running = new Map<NodeId, NodeState>();
  /** Cluster jobs still queued, with their reason. */
  private readonly queued = new Map<NodeId, string>();
  private counts = { hit: 0, ran: 0, failed: 0, cancelled: 0, skipped: 0 };
  private toRun = 0;
  private nodes = 0;
  private listHits = true;
  private readonly startedAt = Date.now();
  private readonly eta = new EtaEstimator();
  private drawn = 0;
  private lastDraw = 0;
  private pending: string[] = [];
  private timer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private finished = false;
  constructor(private readonly out: Stream, private readonly quiet = false) {}

  start(total: { toRun: number; hits: number; nodes: number }): void {
    this.toRun = total.toRun;
    // The bar covers what this run settles: its hits and the nodes it runs (not nodes it does not need).
    this.nodes = total.hits + total.toRun;
    this.listHits = total.hits <= LISTED_HITS;
    this.above(`${count(total.nodes, 'node')}: ${total.hits} cached, ${total.toRun} to run`);
    this.timer = setInterval(() => this.flush(), 200);
    this.timer.unref();
  }
  nodeStarted(id: NodeId): void {
    this.queued.delete(id);
    this.eta.started(Date.now());
    this.running.set(id, { started: Date.now(), done: 0, total: 0, lastAt: 0 });
    this.requestDraw();
  }
  nodeProgress(id: NodeId, done: number, total: number): void {
    const r = this.running.get(id);
    if (!r) return;
    r.done = done;
    r.total = total;
    r.lastAt = Date.now();
    // Measured from the first report, not the start: a resumed node begins part way, after a slow setup.
    r.first ??= { at: r.lastAt, done };
    this.requestDraw();
  }
  nodeLog(id: NodeId, level: string, line: string, cached?: boolean): void {
    if (!this.quiet || level === 'error') this.above(`  ${id}${cached ? ' (cached)' : ''} | ${line}`);
  }
  nodeQueued(id: NodeId, reason: string): void {
    if (this.running.has(id)) return;
    this.queued.set(id, reason);
    this.requestDraw();
  }
  nodeRetry(id: NodeId, detail: string): void {
    this.above(`↻ retry     ${id}: ${detail}`);
  }
  nodeEnded(id: NodeId, outcome: Outcome, detail?: string): void {
    const r = this.running.get(id);
    this.running.delete(id);
    this.queued.delete(id);
    this.counts[outcome]++;
    if (outcome !== 'hit' || (this.listHits && !this.quiet)) {
      const mark = { hit: '·', ran: '✓', failed: '✗', cancelled: '∅', skipped: '-' }[outcome];
      this.above(`${mark} ${outcome.padEnd(9)} ${id}${r ? ` (${duration(Date.now() - r.started)})` : ''}${detail ? `: ${detail}` : ''}`);
    } else {
      this.requestDraw();
    }
  }
  message(line: string): void { this.above(line); }
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.finished = true;
    this.clear();
    this.writePending();
  }

  /** A line above the live area; written at once, or with the next redraw if one just happened. */
  private above(line: string): void {
    this.pending.push(line);
    this.requestDraw();
  }
  private requestDraw(): void {
    if (this.finished) { this.writePending(); return; }
    if (Date.now() - this.lastDraw >= REDRAW_MS) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), REDRAW_MS);
      this.flushTimer.unref();
    }
  }
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.clear();
    this.writePending();
    this.draw();
  }
  private writePending(): void {
    if (!this.pending.length) return;
    this.out.write(this.pending.join('\n') + '\n');
    this.pending = [];
  }
  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }
  private bar(fraction: number, width: number): string {
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    return '█'.repeat(filled) + '░'.repeat(width - filled);
  }
  private draw(): void {
    const now = Date.now();
    this.lastDraw = now;
    // A line as wide as the terminal wraps, and the cursor-up of the next redraw would miss it: every
    // live line stays one column short. Some terminals report 0 columns.
    const width = Math.max(20, Math.min(this.out.columns || 100, 200)) - 1;
    const bars = width >= 70 ? { node: 20, overall: 30 } : { node: 10, overall: 12 };
    const labelWidth = Math.min(30, Math.max(8, width - bars.node - 18));
    const lines: string[] = [];
    let partial = 0;
    for (const [id, r] of this.running) {
      const fraction = r.total > 0 ? Math.max(0, Math.min(1, r.done / r.total)) : 0;
      partial += fraction;
      if (lines.length >= 12) continue;
      const label = id.length > labelWidth ? id.slice(0, labelWidth - 1) + '…' : id.padEnd(labelWidth);
      lines.push(fit(`  ${label} ${r.total ? this.bar(fraction, bars.node) + ` ${Math.round(fraction * 100)}%` : '…'.padEnd(bars.node)} ${duration(now - r.started)}${nodeEta(r, now)}`, width));
    }
    // The bar counts every node (hits are done from the start) and the running nodes' progress; the ETA
    // only the work that runs.
    if (this.queued.size) lines.push(fit(`  queued ${this.queued.size}: ${queueReasons(this.queued)}`, width));
    const finished = this.counts.ran + this.counts.failed + this.counts.cancelled + this.counts.skipped;
    const done = finished + this.counts.hit;
    const eta = this.eta.remainingMs(now, finished + partial, this.toRun);
    const etaText = eta === undefined ? '' : ` eta ${duration(Math.round(eta))}`;
    const summary = `hit ${this.counts.hit}  ran ${this.counts.ran}  failed ${this.counts.failed}`;
    lines.push(fit(`${this.bar(this.nodes ? (done + partial) / this.nodes : 1, bars.overall)} ${done}/${this.nodes}  ${summary}  ${duration(now - this.startedAt)}${etaText}`, width));
    this.out.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }
}

/** "Resources 3, Dependency 2": queued jobs counted by reason, the most common first. */
export function queueReasons(queued: ReadonlyMap<NodeId, string>): string {
  const byReason = new Map<string, number>();
  for (const reason of queued.values()) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  return [...byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r, n]) => `${r} ${n}`).join(', ');
}

function fit(line: string, width: number): string {
  return line.length <= width ? line : line.slice(0, width - 1) + '…';
}

/**
 * Remaining time from the throughput so far: work done (finished nodes plus the finished fraction of
 * running ones) per unit of time since the first node started. Parallel nodes count as such, and
 * the time spent planning and replaying hits does not count.
 */
export class EtaEstimator {
  private firstStart?: number;

  started(now: number): void {
    this.firstStart ??= now;
  }

  /** undefined until some work is done (or when none is left). */
  remainingMs(now: number, workDone: number, workTotal: number): number | undefined {
    if (this.firstStart === undefined || workDone <= 0 || workDone >= workTotal) return undefined;
    const elapsed = now - this.firstStart;
    if (elapsed <= 0) return undefined;
    return ((workTotal - workDone) * elapsed) / workDone;
  }
}

/** A running node: its start, its latest progress (and when), and its first progress report. */
interface NodeState { started: number; done: number; total: number; lastAt: number; first?: { at: number; done: number } }

/** ' eta …' from the rate between a node's first and latest progress reports; '' until there is a rate. */
function nodeEta(r: NodeState, now: number): string {
  if (!r.first || r.done <= r.first.done || r.done >= r.total) return '';
  const msPerUnit = (r.lastAt - r.first.at) / (r.done - r.first.done);
  return ` eta ${duration(Math.max(0, Math.round(msPerUnit * (r.total - r.done) - (now - r.lastAt))))}`;
}
