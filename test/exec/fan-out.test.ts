// The fan-out of run events: every subscriber gets every event in the order emitted, one at a time,
// without waiting for the others; a failing subscriber is reported and loses nothing, nor do the
// others; a required subscriber's failure rejects the emit, after everyone had the event.
import { describe, expect, it } from 'vitest';
import type { RunEvent, RunSubscriber } from '../../src/exec/events.js';
import { EventFanOut } from '../../src/exec/fan-out.js';

const warning = (message: string): RunEvent => ({ type: 'warning', message });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

/** Records what it was given; `gate` (when set for a message) holds that event until released. */
function recorder(name: string, opts: { gate?: Map<string, Promise<void>>; fail?: (m: string) => boolean; required?: boolean } = {}) {
  const seen: string[] = [];
  let busy = 0;
  let overlapped = false;
  const subscriber: RunSubscriber = {
    name,
    required: opts.required,
    async handle(event) {
      if (event.type !== 'warning') return;
      busy++;
      if (busy > 1) overlapped = true;
      try {
        await opts.gate?.get(event.message);
        seen.push(event.message);
        if (opts.fail?.(event.message)) throw new Error(`${name} broke on ${event.message}`);
      } finally {
        busy--;
      }
    },
  };
  return { subscriber, seen, overlapped: () => overlapped };
}

describe('event fan-out', () => {
  it('delivers events in order to every subscriber, one at a time, and a slow one does not hold up the others', async () => {
    const gate = deferred();
    const slow = recorder('slow', { gate: new Map([['b', gate.promise]]) });
    const fast = recorder('fast');
    const fan = new EventFanOut([slow.subscriber, fast.subscriber], () => { throw new Error('no subscriber fails here'); });
    const emitted = ['a', 'b', 'c', 'd'].map((m) => fan.emit(warning(m)));
    // Once every pending callback has run: the fast one has had everything, the slow one waits on 'b'.
    await new Promise((r) => setImmediate(r));
    expect(fast.seen).toEqual(['a', 'b', 'c', 'd']);
    expect(slow.seen).toEqual(['a']);
    gate.resolve();
    await Promise.all(emitted);
    expect(slow.seen).toEqual(['a', 'b', 'c', 'd']);
    expect(slow.overlapped()).toBe(false);
  });

  it('emit resolves only once every subscriber has handled the event', async () => {
    const gate = deferred();
    const slow = recorder('slow', { gate: new Map([['x', gate.promise]]) });
    const fan = new EventFanOut([recorder('fast').subscriber, slow.subscriber], () => undefined);
    let done = false;
    const p = fan.emit(warning('x')).then(() => { done = true; });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    gate.resolve();
    await p;
    expect(done).toBe(true);
  });

  it('a failing subscriber is reported, still gets later events, and the others lose nothing', async () => {
    const broken = recorder('broken', { fail: (m) => m === 'b' });
    const thrower: RunSubscriber = { name: 'thrower', handle: () => { throw new Error('sync failure'); } };
    const fine = recorder('fine');
    const errors: string[] = [];
    const fan = new EventFanOut([broken.subscriber, thrower, fine.subscriber], (name, event, err) => {
      errors.push(`${name}@${event === 'close' ? 'close' : (event as { message: string }).message}: ${(err as Error).message}`);
    });
    for (const m of ['a', 'b', 'c']) await fan.emit(warning(m));
    expect(fine.seen).toEqual(['a', 'b', 'c']);
    expect(broken.seen).toEqual(['a', 'b', 'c']);
    // Reports of one event come in whatever order the subscribers failed.
    expect(errors.sort()).toEqual([
      'broken@b: broken broke on b',
      'thrower@a: sync failure', 'thrower@b: sync failure', 'thrower@c: sync failure',
    ]);
  });

  it("a required subscriber's failure rejects the emit after every subscriber had the event", async () => {
    const record = recorder('record', { required: true, fail: (m) => m === 'b' });
    const gate = deferred();
    const display = recorder('display', { gate: new Map([['b', gate.promise]]) });
    const reported: string[] = [];
    const fan = new EventFanOut([record.subscriber, display.subscriber], (name) => reported.push(name));
    await fan.emit(warning('a'));
    let settled = false;
    const p = fan.emit(warning('b')).finally(() => { settled = true; });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // the display has not had 'b' yet
    gate.resolve();
    await expect(p).rejects.toThrow('record broke on b');
    expect(display.seen).toEqual(['a', 'b']);
    expect(reported).toEqual([]); // the caller gets it; it is not reported as a warning besides
    await fan.emit(warning('c'));
    expect(record.seen).toEqual(['a', 'b', 'c']);
  });

  it('hands back the tracking reference a subscriber replied with', async () => {
    const tracker: RunSubscriber = { name: 'tracker', handle: (e) => (e.type === 'warning' ? { tracking: { mlflowRunId: 'r1' } } : undefined) };
    const fan = new EventFanOut([recorder('display').subscriber, tracker], () => undefined);
    expect(await fan.emit(warning('x'))).toEqual({ tracking: { mlflowRunId: 'r1' } });
  });

  it('close waits for pending events, closes every subscriber even when one fails, and later posts are dropped', async () => {
    const gate = deferred();
    const slow = recorder('slow', { gate: new Map([['last', gate.promise]]) });
    const closed: string[] = [];
    const failingClose: RunSubscriber = { name: 'failing', handle: () => undefined, close: async () => { closed.push('failing'); throw new Error('close failed'); } };
    const after: RunSubscriber = { ...slow.subscriber, close: async () => { closed.push(`slow after ${slow.seen.join(',')}`); } };
    const errors: string[] = [];
    const fan = new EventFanOut([failingClose, after], (name, event) => errors.push(`${name}@${event === 'close' ? 'close' : 'event'}`));
    fan.post(warning('last'));
    const closing = fan.close();
    gate.resolve();
    await closing;
    expect(closed).toEqual(['failing', 'slow after last']);
    expect(errors).toEqual(['failing@close']);
    fan.post(warning('too late'));
    await expect(fan.emit(warning('too late'))).rejects.toThrow(/after the run's events were closed/);
    expect(slow.seen).toEqual(['last']);
  });

  it('an idle synchronous subscriber has the event at once; one it causes while handling arrives after it', async () => {
    const seen: string[] = [];
    let fan!: EventFanOut;
    const display: RunSubscriber = {
      name: 'display',
      handle(event) {
        if (event.type !== 'warning') return;
        if (event.message === 'first') fan.post(warning('caused'));
        seen.push(event.message);
      },
    };
    fan = new EventFanOut([display], () => undefined);
    fan.post(warning('first'));
    expect(seen).toEqual(['first']);
    await fan.close();
    expect(seen).toEqual(['first', 'caused']);
  });
});
