// One channel the application subscribed to: its state, its resume positions, its events and an async
// iterator. The client (client.ts) drives it; the application only reads and listens.

import { Emitter } from "./emitter.js";
import { FanwireError, ConnectionError } from "./errors.js";
import type { FanwireGap, FanwireMessage } from "./message.js";
import { MaxRatePositions } from "./max-rate-positions.js";
import { Positions, type PositionTable } from "./positions.js";

export interface SubscribeOptions {
  /** Ask the gateway for the last value of each key first (snapshot topics only). Only on the first subscribe; later ones resume. */
  snapshot?: boolean;
  /**
   * At most this many messages per second per key, each the latest value (0.01 or more). The subscription then
   * drops duplicates per key and resumes a little more than 1/maxRate seconds back (PROTOCOL.md §12.1 rule 15).
   */
  maxRate?: number;
}

/**
 * subscribing: waiting for the gateway's `subscribed` (first time or after a reconnect);
 * live: subscribed on the current connection; failed: refused by the gateway, not retried;
 * unsubscribed: ended by unsubscribe() or client.close().
 */
export type SubscriptionState = "subscribing" | "live" | "failed" | "unsubscribed";

export interface SubscriptionEvents extends Record<string, unknown> {
  message: FanwireMessage;
  gap: FanwireGap;
  state: SubscriptionState;
  error: FanwireError;
}

/** What a subscription needs from its client. */
export interface SubscriptionOwner {
  unsubscribeInternal(sub: Subscription): void;
}

export class Subscription extends Emitter<SubscriptionEvents> implements AsyncIterable<FanwireMessage> {
  readonly channel: string;
  readonly topic: string;
  readonly options: Readonly<SubscribeOptions>;
  /** Resolves at the first `subscribed` reply; rejects with the gateway's RequestError if it is refused. */
  readonly ready: Promise<void>;

  /** @internal The whole-topic subscription whose stream this keyed one rides on for the current connection. */
  ridingOn: Subscription | undefined;
  #state: SubscriptionState = "subscribing";
  #error: FanwireError | undefined;
  #subscribedOnce = false;
  readonly #positions: PositionTable;
  readonly #owner: SubscriptionOwner;
  #resolveReady!: () => void;
  #rejectReady!: (e: Error) => void;
  readonly #iterators = new Set<IteratorQueue>();

  constructor(owner: SubscriptionOwner, channel: string, options: SubscribeOptions) {
    super();
    this.#owner = owner;
    this.channel = channel;
    const slash = channel.indexOf("/");
    this.topic = slash < 0 ? channel : channel.slice(0, slash);
    this.options = { ...options };
    const maxRate = options.maxRate ?? 0;
    this.#positions = maxRate > 0 ? new MaxRatePositions(maxRate) : new Positions();
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // not awaiting `ready` must not be an unhandled rejection
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** Why the subscription failed (state "failed"). */
  get error(): FanwireError | undefined {
    return this.#error;
  }

  /**
   * partition -> offset of the last record delivered (or counted as seen), as resumed from on reconnect. With a
   * maxRate: where it would resume, a little more than 1/maxRate seconds of records behind the last one delivered.
   */
  get positions(): ReadonlyMap<number, bigint> {
    return this.#positions.view;
  }

  /** Stops delivery at once, tells the gateway, forgets the positions. */
  unsubscribe(): void {
    if (this.#state === "unsubscribed" || this.#state === "failed") return;
    this.#owner.unsubscribeInternal(this);
  }

  /** Messages in order; ends when the subscription ends, throws if it fails. Buffers while iterating. */
  [Symbol.asyncIterator](): AsyncIterator<FanwireMessage> {
    const queue = new IteratorQueue(() => this.#iterators.delete(queue));
    if (this.#state === "unsubscribed") queue.end();
    else if (this.#state === "failed") queue.fail(this.#error!);
    else this.#iterators.add(queue);
    return queue;
  }

  // ---- driven by the client ----

  /** @internal True once a `subscribed` was received: later subscribes resume instead of asking a snapshot. */
  get subscribedOnce(): boolean {
    return this.#subscribedOnce;
  }

  /** @internal */
  get positionTable(): PositionTable {
    return this.#positions;
  }

  /** @internal */
  setState(state: SubscriptionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit("state", state);
  }

  /** @internal */
  onSubscribed(positions: { partition: number; offset: bigint }[]): void {
    for (const p of positions) this.#positions.merge(p.partition, p.offset);
    this.#subscribedOnce = true;
    this.setState("live");
    this.#resolveReady();
  }

  /** @internal The gateway refused the subscribe: not retried. */
  onRefused(error: FanwireError): void {
    this.#error = error;
    this.setState("failed");
    this.#rejectReady(error);
    if (this.hasListeners("error")) this.emit("error", error);
    for (const q of this.#iterators) q.fail(error);
    this.#iterators.clear();
  }

  /** @internal Hands a message to the app unless it is a duplicate. */
  deliver(message: FanwireMessage): boolean {
    if (this.#state === "unsubscribed" || this.#state === "failed") return false;
    if (!message.snapshot && !this.#positions.accept(message.partition, message.offset, message.key)) return false;
    this.emit("message", message);
    for (const q of this.#iterators) q.push(message);
    return true;
  }

  /** @internal */
  onGap(gap: FanwireGap): void {
    if (this.#state === "unsubscribed" || this.#state === "failed") return;
    this.#positions.gap(gap.partition, gap.toOffset);
    this.emit("gap", gap);
  }

  /** @internal Unsubscribed or the client closed. */
  end(): void {
    if (this.#state === "unsubscribed") return;
    const wasFailed = this.#state === "failed";
    this.#positions.clear();
    this.setState("unsubscribed");
    if (!wasFailed) this.#rejectReady(new ConnectionError("CLOSED", `unsubscribed from ${this.channel}`));
    for (const q of this.#iterators) q.end();
    this.#iterators.clear();
  }
}

/** The buffer behind one `for await` loop. */
class IteratorQueue implements AsyncIterator<FanwireMessage> {
  private readonly items: FanwireMessage[] = [];
  private waiter: { resolve: (r: IteratorResult<FanwireMessage>) => void; reject: (e: Error) => void } | undefined;
  private done = false;
  private error: Error | undefined;

  constructor(private readonly detach: () => void) {}

  push(m: FanwireMessage): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: m, done: false });
    } else {
      this.items.push(m);
    }
  }

  end(): void {
    this.done = true;
    this.flushWaiter();
  }

  fail(e: Error): void {
    this.error = e;
    this.done = true;
    this.flushWaiter();
  }

  private flushWaiter(): void {
    if (!this.waiter || this.items.length) return;
    const w = this.waiter;
    this.waiter = undefined;
    if (this.error) w.reject(this.error);
    else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<FanwireMessage>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.done) {
      if (this.error) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<FanwireMessage>> {
    this.done = true;
    this.items.length = 0;
    this.detach();
    return Promise.resolve({ value: undefined, done: true });
  }
}
