// What the application receives: one Kafka record of a subscription. Payload and data are computed
// lazily, so that an application reading only `data` (JSON topics) never decodes base64 or UTF-8 twice.

import type { JsonValue } from "@bufbuild/protobuf";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** No value: `data` of a record whose value is not JSON. */
const NONE = Symbol("none");

export class FanwireMessage {
  /** The subscription's channel this record was delivered to ("quotes" for a record of "quotes/AAPL"). */
  readonly subscription: string;
  /** "TOPIC/KEY" for keyed records, "TOPIC" for keyless ones. */
  readonly channel: string;
  /** The record key as UTF-8, or undefined for keyless records. */
  readonly key: string | undefined;
  readonly partition: number;
  /** Kafka offset, exact (int64). */
  readonly offset: bigint;
  /** Kafka record timestamp, ms since the epoch. */
  readonly timestamp: number;
  /** True for the last values a `snapshot: true` subscribe sends first. */
  readonly snapshot: boolean;
  /** Kafka record headers, values decoded as UTF-8. */
  readonly headers: Readonly<Record<string, string>>;

  #payload: Uint8Array | undefined;
  #data: JsonValue | undefined | typeof NONE;
  /** True when the gateway sent the value as JSON `data`. */
  #dataSent = false;

  constructor(init: {
    subscription: string;
    channel: string;
    key: string | undefined;
    partition: number;
    offset: bigint;
    timestamp: number;
    snapshot: boolean;
    headers: Record<string, string>;
    payload?: Uint8Array;
    data?: JsonValue;
    hasData: boolean;
  }) {
    this.subscription = init.subscription;
    this.channel = init.channel;
    this.key = init.key;
    this.partition = init.partition;
    this.offset = init.offset;
    this.timestamp = init.timestamp;
    this.snapshot = init.snapshot;
    this.headers = init.headers;
    this.#payload = init.hasData ? undefined : (init.payload ?? new Uint8Array(0));
    this.#data = init.hasData ? init.data : undefined;
    this.#dataSent = init.hasData;
  }

  /** The record value. For a record the gateway sent as JSON `data`: the UTF-8 of the string, or of the JSON text. */
  get payload(): Uint8Array {
    if (this.#payload === undefined) {
      const d = this.#data;
      this.#payload = utf8.encode(typeof d === "string" ? d : JSON.stringify(d));
    }
    return this.#payload;
  }

  /**
   * The value as JSON: what the gateway sent as `data` (JSON and text topics), else the payload parsed
   * as UTF-8 JSON; undefined when the value is not JSON.
   */
  get data(): JsonValue | undefined {
    if (this.#data === undefined && !this.#dataSent) {
      try {
        this.#data = JSON.parse(fromUtf8.decode(this.#payload!)) as JsonValue;
      } catch {
        this.#data = NONE;
      }
    }
    return this.#data === NONE ? undefined : this.#data;
  }

  /** The payload as a UTF-8 string (a `text` topic's value). */
  get text(): string {
    const d = this.#dataSent ? this.#data : undefined;
    return typeof d === "string" ? d : new TextDecoder().decode(this.payload);
  }

  toJSON(): object {
    return {
      channel: this.channel,
      key: this.key,
      partition: this.partition,
      offset: this.offset.toString(),
      timestamp: this.timestamp,
      snapshot: this.snapshot,
      headers: this.headers,
      data: this.data,
    };
  }
}

/** A Gap: records fromOffset..toOffset (inclusive) of a partition will not be delivered. */
export interface FanwireGap {
  subscription: string;
  channel: string;
  partition: number;
  fromOffset: bigint;
  toOffset: bigint;
  reason: string;
}
