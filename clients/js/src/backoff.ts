// Reconnect delays: jittered exponential backoff with a floor, so that no sequence of random draws can
// make a hot loop. Attempt n (from 0) waits a random time in [ceil/2, ceil], ceil = min(maxMs, baseMs * 2^n).

export interface BackoffOptions {
  /** Ceiling of the first delay, ms. Default 500. */
  baseMs?: number;
  /** Largest ceiling, ms. Default 10000. */
  maxMs?: number;
}

export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.baseMs = options.baseMs ?? 500;
    this.maxMs = options.maxMs ?? 10_000;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) {
      throw new RangeError("backoff needs 0 < baseMs <= maxMs");
    }
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling for attempt n. */
  ceiling(n: number): number {
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(n, 30));
  }

  /** The delay before the next attempt; counts the attempt. */
  next(): number {
    const ceil = this.ceiling(this.attempt++);
    return ceil / 2 + this.random() * (ceil / 2);
  }

  /** After a connection that stayed open and subscribed: the next failure starts from baseMs again. */
  reset(): void {
    this.attempt = 0;
  }
}
