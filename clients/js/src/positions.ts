// Per-channel resume positions (PROTOCOL.md §4.2): the offset of the last record the application has
// seen (or counts as seen) in each partition. Offsets are bigint: Kafka offsets are int64.

/**
 * What a subscription keeps to resume and to drop duplicates: `Positions`, or `MaxRatePositions` for a
 * subscription with a maxRate (max-rate-positions.ts). Event-loop state, driven by the subscription.
 */
export interface PositionTable {
  /** Read-only view, partition -> offset to resume from. */
  readonly view: ReadonlyMap<number, bigint>;
  /** A position the gateway vouched for (a `subscribed` reply, a GoAway's positions): merged with max. */
  merge(partition: number, offset: bigint): void;
  /** A record arrived: true when it is new (it now counts as handed on), false for a duplicate. */
  accept(partition: number, offset: bigint, key: string | undefined): boolean;
  /** A Gap up to toOffset (inclusive): those records will not come. */
  gap(partition: number, toOffset: bigint): void;
  /** The connection ended (before the positions are sent on the next one). */
  connectionEnded(): void;
  /** What to send as Subscribe.resume_from, in partition order. */
  toList(): { partition: number; offset: bigint }[];
  clear(): void;
}

export class Positions implements PositionTable {
  private readonly map = new Map<number, bigint>();

  /** Read-only view, partition -> offset. */
  get view(): ReadonlyMap<number, bigint> {
    return this.map;
  }

  get size(): number {
    return this.map.size;
  }

  get(partition: number): bigint | undefined {
    return this.map.get(partition);
  }

  /** Merges a position with max (a `subscribed` reply, a GoAway's positions). */
  merge(partition: number, offset: bigint): void {
    const current = this.map.get(partition);
    if (current === undefined || offset > current) this.map.set(partition, offset);
  }

  /**
   * A record arrived: true (and the position moves to it) when it is new; false when it is a duplicate,
   * i.e. its offset is at or below the position, and must not reach the application.
   */
  accept(partition: number, offset: bigint): boolean {
    const current = this.map.get(partition);
    if (current !== undefined && offset <= current) return false;
    this.map.set(partition, offset);
    return true;
  }

  /** A Gap up to toOffset (inclusive): those records will not come; the position is at least toOffset. */
  gap(partition: number, toOffset: bigint): void {
    this.merge(partition, toOffset);
  }

  /** Nothing to do: without maxRate, a partition's records come in offset order, so its position is exact. */
  connectionEnded(): void {}

  /** What to send as Subscribe.resume_from, in partition order. */
  toList(): { partition: number; offset: bigint }[] {
    return [...this.map.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([partition, offset]) => ({ partition, offset }));
  }

  clear(): void {
    this.map.clear();
  }
}
