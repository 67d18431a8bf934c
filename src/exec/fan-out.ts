// One stream of run events, delivered to every subscriber. The rules:
// - each subscriber gets every event, in the order emitted, one at a time (it never sees an event
//   before it has finished handling the previous one), independently of the other subscribers: a
//   slow tracker does not hold up the display;
// - `emit` resolves once every subscriber has handled the event, so an emitter that waits for an
//   event knows the tracker has written it;
// - a subscriber that throws or rejects still gets the later events, and the others are not
//   affected. Its error is reported through `onError`, except a `required` subscriber's: then `emit`
//   rejects with it, after every subscriber has had the event (`post`, which nobody awaits, reports it).
import type { EventReply, EventSink, RunEvent, RunSubscriber } from './events.js';

export type SubscriberErrorHandler = (subscriber: string, event: RunEvent | 'close', err: unknown) => void;

type Delivery = { reply?: EventReply; error?: unknown };

export class EventFanOut implements EventSink {
  /** Per subscriber: the end of its queue of events, or undefined when it has nothing pending. */
  private readonly queues: (Promise<unknown> | undefined)[];
  /** Per subscriber: inside its (synchronous) handle call; an event it causes there waits its turn. */
  private readonly inCall: boolean[];
  private closed = false;

  constructor(private readonly subscribers: readonly RunSubscriber[], private readonly onError: SubscriberErrorHandler) {
    this.queues = subscribers.map(() => undefined);
    this.inCall = subscribers.map(() => false);
  }

  emit(event: RunEvent): Promise<EventReply> {
    if (this.closed) return Promise.reject(new Error(`run event '${event.type}' after the run's events were closed`));
    const deliveries = this.subscribers.map((subscriber, i) => this.deliver(subscriber, i, event));
    // Most events reach idle, synchronous subscribers (the display, the record): no promise per subscriber then.
    if (deliveries.every((d) => !(d instanceof Promise))) return settle(deliveries as Delivery[]);
    return Promise.all(deliveries).then(settle);
  }

  private deliver(subscriber: RunSubscriber, i: number, event: RunEvent): Delivery | Promise<Delivery> {
    const pending = this.queues[i];
    if (pending === undefined && !this.inCall[i]) {
      let out: ReturnType<RunSubscriber['handle']>;
      this.inCall[i] = true;
      try {
        out = subscriber.handle(event);
      } catch (error) {
        return this.failed(subscriber, event, error);
      } finally {
        this.inCall[i] = false;
      }
      if (!isPromiseLike(out)) return { reply: out ?? undefined };
      return this.queue(subscriber, i, Promise.resolve(out), event);
    }
    return this.queue(subscriber, i, (pending ?? Promise.resolve()).then(() => subscriber.handle(event)), event);
  }

  /** `handled` is now the end of subscriber i's queue; the queue is idle again once it settles (and nothing came after). */
  private queue(subscriber: RunSubscriber, i: number, handled: Promise<void | EventReply>, event: RunEvent): Promise<Delivery> {
    const tail: Promise<unknown> = handled.then(() => undefined, () => undefined).then(() => {
      if (this.queues[i] === tail) this.queues[i] = undefined;
    });
    this.queues[i] = tail;
    return handled.then((reply): Delivery => ({ reply: reply ?? undefined }), (error): Delivery => this.failed(subscriber, event, error));
  }

  post(event: RunEvent): void {
    if (this.closed) return; // a late line of a node already settled: nobody is listening any more
    this.emit(event).catch((error) => this.report(this.subscribers.find((s) => s.required)?.name ?? 'a subscriber', event, error));
  }

  /** Waits for every delivery, then closes each subscriber (all of them, even when one fails). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let requiredError: { error: unknown } | undefined;
    for (const [i, subscriber] of this.subscribers.entries()) {
      while (this.queues[i]) await this.queues[i];
      try {
        await subscriber.close?.();
      } catch (error) {
        const d = this.failed(subscriber, 'close', error);
        if ('error' in d && !requiredError) requiredError = { error: d.error };
      }
    }
    if (requiredError) throw requiredError.error;
  }

  private failed(subscriber: RunSubscriber, event: RunEvent | 'close', error: unknown): Delivery {
    if (subscriber.required) return { error };
    this.report(subscriber.name, event, error);
    return {};
  }

  private report(subscriber: string, event: RunEvent | 'close', error: unknown): void {
    try {
      this.onError(subscriber, event, error);
    } catch { /* a broken error handler must not break delivery */ }
  }
}

function settle(deliveries: Delivery[]): Promise<EventReply> {
  const failure = deliveries.find((d) => 'error' in d);
  if (failure) return Promise.reject(failure.error);
  const reply: EventReply = {};
  for (const d of deliveries) if (d.reply?.tracking && !reply.tracking) reply.tracking = d.reply.tracking;
  return Promise.resolve(reply);
}

function isPromiseLike(value: unknown): value is PromiseLike<void | EventReply> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
