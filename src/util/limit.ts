// Bounded concurrency for many small I/O tasks.

/** Runs async tasks with at most `limit` in flight: thousands of parallel fs calls exhaust file descriptors. */
export class Limiter {
  private active = 0;
  // A queue with a moving head: Array#shift is linear, and queues here reach tens of thousands.
  private queue: (() => void)[] = [];
  private head = 0;
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so `active` never exceeds the limit.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.head < this.queue.length ? this.queue[this.head++] : undefined;
      if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
      if (next) next();
      else this.active--;
    }
  }
}

/** Maps with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
