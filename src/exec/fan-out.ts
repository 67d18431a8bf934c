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
  private readonly tails: Promise<unknown>[];
  private closed = false;

  constructor(private readonly subscribers: readonly RunSubscriber[], private readonly onError: SubscriberErrorHandler) {
    this.tails = subscribers.map(() => Promise.resolve());
  }

  async emit(event: RunEvent): Promise<EventReply> {
    if (this.closed) throw new Error(`run event '${event.type}' after the run's events were closed`);
    const deliveries = this.subscribers.map((subscriber, i) => {
      const handled = this.tails[i].then(() => subscriber.handle(event));
      this.tails[i] = handled.catch(() => undefined);
      return handled.then((reply): Delivery => ({ reply: reply ?? undefined }), (error): Delivery => this.failed(subscriber, event, error));
    });
    const settled = await Promise.all(deliveries);
    const failure = settled.find((d) => 'error' in d);
    if (failure) throw failure.error;
    const reply: EventReply = {};
    for (const d of settled) if (d.reply?.tracking && !reply.tracking) reply.tracking = d.reply.tracking;
    return reply;
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
      await this.tails[i];
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
