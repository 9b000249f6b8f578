// The positions and the dedupe of a subscription with a maxRate (PROTOCOL.md §12.1 rule 15).
//
// The gateway holds a key's record until the key's next slot, up to 1/maxRate seconds, while later records of
// other keys of the same partition go out at once: such a subscription sees a partition's offsets out of order,
// though each key's in order. So instead of one position per partition it keeps:
//
// * Dedupe per partition and key. A record is a duplicate when its offset is at or below the last one handed
//   on for its partition and key, or at or below the partition's confirmed position (from `subscribed`, GoAway,
//   Gap, which the gateway vouches for). Keyless records share one slot, as at the gateway.
// * A resume position that lags. A record still held when a connection is lost reached the gateway less than
//   1/maxRate seconds (plus scheduling delay) before, and every record of its partition with a higher offset
//   was sent after it reached the gateway. So every record received more than the lag (1/maxRate + MARGIN_MS)
//   before the connection's last one has a lower offset than any record the gateway still held: the highest
//   offset received as of then is a safe place to resume. The resume position is the highest of that and the
//   confirmed position; of the records sent again after it, those handed on already are discarded by the
//   dedupe, and the held ones arrive.
//
// The lagged position comes from samples of the highest offsets received, taken at most every
// lag / SAMPLES_PER_LAG on receipt; a sample older than the lag (counted back from the latest receipt) settles
// into the resume position. So at most SAMPLES_PER_LAG + 1 samples are kept, and the resume position trails the
// exact one by at most one sampling step. The per-key memory holds only keys handed on above the resume
// position: an entry at or below it is forgotten, since no record at or below it can come again (the next
// connection resumes after it, and the current one sends each key in order).

import type { PositionTable } from "./positions.js";

/**
 * Covers what 1/maxRate does not: the gateway's slot timer running late on a busy event loop, and two frames
 * of one connection taking different times to reach the application (TCP, the page's own event loop). Those
 * delays do not grow with the rate's window, so the margin is a constant; a longer one only makes a resume send
 * again a few more records, which the dedupe discards.
 */
export const MARGIN_MS = 1000;
/** Samples per lag: the resume position trails the exact lagged one by at most lag / SAMPLES_PER_LAG. */
export const SAMPLES_PER_LAG = 4;
/** The slot of keyless records. An empty key is no key (PROTOCOL.md §4 rule 1), so no keyed record shares it. */
const NO_KEY = "";

interface Sample {
  at: number;
  received: ReadonlyMap<number, bigint>;
}

export class MaxRatePositions implements PositionTable {
  readonly #now: () => number;
  readonly #lagMs: number;
  readonly #stepMs: number;
  /** Partition -> resume position: the highest of the confirmed and the settled lagged positions. */
  readonly #resume = new Map<number, bigint>();
  /** Partition -> the highest offset the gateway vouched for. */
  readonly #confirmed = new Map<number, bigint>();
  /** Partition -> key -> offset of the last record of that key handed on, above the resume position. */
  readonly #handed = new Map<number, Map<string, bigint>>();
  // The current connection: what it delivered, and when.
  readonly #received = new Map<number, bigint>();
  #samples: Sample[] = [];

  /** `now`: a monotonic clock in ms, read once per record (a test passes its own). */
  constructor(maxRate: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#lagMs = 1000 / maxRate + MARGIN_MS;
    this.#stepMs = this.#lagMs / SAMPLES_PER_LAG;
  }

  get view(): ReadonlyMap<number, bigint> {
    return this.#resume;
  }

  merge(partition: number, offset: bigint): void {
    const current = this.#confirmed.get(partition);
    if (current === undefined || offset > current) this.#confirmed.set(partition, offset);
    this.#raise(partition, offset);
  }

  accept(partition: number, offset: bigint, key: string | undefined): boolean {
    this.#receive(partition, offset);
    const confirmed = this.#confirmed.get(partition);
    if (confirmed !== undefined && offset <= confirmed) return false;
    let keys = this.#handed.get(partition);
    if (!keys) this.#handed.set(partition, (keys = new Map()));
    const slot = key ?? NO_KEY;
    const last = keys.get(slot);
    if (last !== undefined && offset <= last) return false;
    keys.set(slot, offset);
    return true;
  }

  gap(partition: number, toOffset: bigint): void {
    this.merge(partition, toOffset);
  }

  /**
   * The resume position stays where its lag put it; the next connection's records are timed afresh (one
   * replayed on it reached its gateway only then).
   */
  connectionEnded(): void {
    this.#received.clear();
    this.#samples = [];
  }

  toList(): { partition: number; offset: bigint }[] {
    return [...this.#resume.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([partition, offset]) => ({ partition, offset }));
  }

  clear(): void {
    this.#resume.clear();
    this.#confirmed.clear();
    this.#handed.clear();
    this.connectionEnded();
  }

  /** Keys remembered for `partition` (for tests). */
  keysRemembered(partition: number): number {
    return this.#handed.get(partition)?.size ?? 0;
  }

  #receive(partition: number, offset: bigint): void {
    const now = this.#now();
    const highest = this.#received.get(partition);
    if (highest === undefined || offset > highest) this.#received.set(partition, offset);
    let settled = 0;
    while (settled < this.#samples.length && now - this.#samples[settled]!.at >= this.#lagMs) {
      for (const [p, o] of this.#samples[settled]!.received) this.#raise(p, o);
      settled++;
    }
    if (settled > 0) this.#samples = this.#samples.slice(settled);
    const newest = this.#samples.at(-1);
    if (!newest || now - newest.at >= this.#stepMs) this.#samples.push({ at: now, received: new Map(this.#received) });
  }

  /** Moves the resume position of `partition` up to `offset`, forgetting the keys it passes. */
  #raise(partition: number, offset: bigint): void {
    const current = this.#resume.get(partition);
    if (current !== undefined && current >= offset) return;
    this.#resume.set(partition, offset);
    const keys = this.#handed.get(partition);
    if (!keys) return;
    for (const [key, last] of keys) if (last <= offset) keys.delete(key);
  }
}
