// FanwireClient: one WebSocket connection at a time to one of the given URLs, kept alive across
// failures. Resubscribes every subscription with its positions after a reconnect (PROTOCOL.md §4.2),
// follows GoAway (§7), refreshes the token before it expires (§5) and replaces a connection that stops
// answering (application Ping). Subscriptions (subscription.ts) dedupe and deliver.

import { create, type JsonValue } from "@bufbuild/protobuf";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { decode, encode, SUBPROTOCOL, type ClientKind, type Format } from "./codec.js";
import { Emitter } from "./emitter.js";
import {
  AuthError,
  ConnectionError,
  FanwireError,
  HandshakeError,
  InvalidUrlError,
  ProtocolError,
  RequestError,
} from "./errors.js";
import { PositionSchema, type Reply, type ServerFrame } from "./gen/fanwire/v1/fanwire_pb.js";
import { FanwireMessage, type FanwireGap } from "./message.js";
import { probeHandshake } from "./probe.js";
import { Subscription, type SubscribeOptions, type SubscriptionOwner } from "./subscription.js";
import { refreshDelay } from "./token.js";

/** The WebSocket constructor the client uses: the WHATWG API (browsers, Node's built-in, the `ws` package). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The part of the WHATWG WebSocket the client uses. */
export interface WebSocketLike {
  readonly protocol: string;
  readonly readyState: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export interface FanwireClientOptions {
  /** Subprotocol: "json" (fanwire.v1.json, default) or "proto" (fanwire.v1.proto). */
  format?: Format;
  /** Supplies a JWT; called before every connection attempt and before the token's exp (Refresh). */
  token?: () => string | Promise<string>;
  /** WebSocket constructor; default globalThis.WebSocket (Node 20: pass `ws`'s, or run with --experimental-websocket). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff: attempt n waits a random time in [c/2, c], c = min(maxMs, baseMs·2^n). Default 500 / 10000. */
  backoff?: BackoffOptions;
  /** Send an application Ping after this much silence from the server, ms. Default 15000. */
  pingIntervalMs?: number;
  /** Drop and replace the connection when nothing arrives this long after a Ping, ms. Default 10000. */
  pingTimeoutMs?: number;
  /** Give up an upgrade that has not completed after this long, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Publish (and ping) replies later than this fail with TIMEOUT, ms. Default 15000. */
  requestTimeoutMs?: number;
  /** Refresh the token at 80% of its lifetime, but at least this long before exp when the lifetime allows, ms. Default 30000. */
  refreshBeforeMs?: number;
  /** After a failed upgrade, find out why (HTTP status, subprotocol) with a probe request. Default true. */
  probeHandshake?: boolean;
  /** Start at a random URL of the list, so that many clients spread over the nodes. Default true; false: the first. */
  shuffleUrls?: boolean;
  /** Connect at construction. Default true; else call connect(). */
  autoConnect?: boolean;
}

/** connecting: no open connection yet (attempting, or waiting to reconnect); open; closed: close() was called. */
export type ClientState = "connecting" | "open" | "closed";

export interface ReconnectInfo {
  /** Delay before the next attempt, ms. */
  delayMs: number;
  /** Why: "backoff" after a failure, "goaway" after the server asked. */
  cause: "backoff" | "goaway";
  /** Close code of the connection that ended, when it had opened. */
  closeCode?: number;
  closeReason?: string;
}

export interface ClientEvents extends Record<string, unknown> {
  state: ClientState;
  error: FanwireError;
  /** A connection opened; `url` is the node's URL (without the token). */
  open: { url: string };
  reconnect: ReconnectInfo;
  /** The server sent GoAway. */
  goaway: { reason: string; reconnectWithinMs: number };
}

export interface PublishOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

interface Pending {
  resolve(reply: Reply): void;
  reject(e: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

/** One WebSocket and what belongs to it; a dropped Conn's late events are ignored. */
interface Conn {
  ws: WebSocketLike;
  url: string;
  opened: boolean;
  dropped: boolean;
  pending: Map<bigint, Pending>;
  lastRx: number;
  pingSentAt: number;
  errorText?: string;
  timers: Set<ReturnType<typeof setTimeout>>;
  subscribing: number;
}

const utf8 = new TextEncoder();

export class FanwireClient extends Emitter<ClientEvents> implements SubscriptionOwner {
  readonly urls: readonly string[];
  readonly format: Format;
  readonly #options: FanwireClientOptions;
  readonly #WebSocket: WebSocketConstructor;
  readonly #backoff: Backoff;
  readonly #subs = new Map<string, Subscription>();
  #state: ClientState = "connecting";
  #conn: Conn | undefined;
  #closed = false;
  #started = false;
  #urlIndex = 0;
  #nextId = 1n;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string | readonly string[], options: FanwireClientOptions = {}) {
    super();
    const list = typeof url === "string" ? [url] : [...url];
    if (list.length === 0) throw new InvalidUrlError("", "no URL given");
    for (const u of list) checkUrl(u);
    this.urls = list;
    this.format = options.format ?? "json";
    if (this.format !== "json" && this.format !== "proto") {
      throw new FanwireError("INVALID_OPTION", `format must be "json" or "proto", not ${String(this.format)}`);
    }
    this.#options = options;
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!ctor) {
      throw new FanwireError("NO_WEBSOCKET",
        "no WebSocket implementation: pass options.WebSocket (e.g. from the 'ws' package), or run Node 20 with --experimental-websocket");
    }
    this.#WebSocket = ctor;
    this.#backoff = new Backoff(options.backoff);
    this.#urlIndex = (options.shuffleUrls ?? true) ? Math.floor(Math.random() * list.length) : 0;
    if (options.autoConnect ?? true) this.connect();
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The URL of the open connection, if any. */
  get url(): string | undefined {
    return this.#conn?.opened ? this.#conn.url : undefined;
  }

  get subscriptions(): ReadonlyMap<string, Subscription> {
    return this.#subs;
  }

  /** Starts connecting (only needed with autoConnect: false). */
  connect(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    void this.#connect();
  }

  /** Subscribes to "TOPIC" or "TOPIC/KEY". One subscription per channel per client. */
  subscribe(channel: string, options: SubscribeOptions = {}): Subscription {
    if (this.#closed) throw new ConnectionError("CLOSED", "the client is closed");
    if (typeof channel !== "string" || channel.length === 0) throw new FanwireError("INVALID_CHANNEL", "empty channel");
    if (this.#subs.has(channel)) throw new FanwireError("ALREADY_SUBSCRIBED", `already subscribed to ${channel}`);
    const sub = new Subscription(this, channel, options);
    this.#subs.set(channel, sub);
    const conn = this.#conn;
    if (conn?.opened) this.#sendSubscribe(conn, sub);
    return sub;
  }

  /** @internal Called by Subscription.unsubscribe(). */
  unsubscribeInternal(sub: Subscription): void {
    if (this.#subs.get(sub.channel) !== sub) return;
    this.#subs.delete(sub.channel);
    const onTheWire = sub.ridingOn === undefined;
    sub.ridingOn = undefined;
    sub.end();
    const conn = this.#conn;
    if (conn?.opened) {
      if (onTheWire) {
        this.#request(conn, { case: "unsubscribe", value: { channel: sub.channel } as never }).catch(() => {});
      }
      // After the Unsubscribe: the riders resume on their own, never overlapping the topic on the wire.
      this.#subscribeRiders(conn, sub);
    }
  }

  #ridersOf(topic: Subscription): Subscription[] {
    return [...this.#subs.values()].filter((s) => s.ridingOn === topic);
  }

  /** `topic`'s stream is gone from `conn` (refused, unsubscribed): its riders subscribe on their own. */
  #subscribeRiders(conn: Conn, topic: Subscription): void {
    for (const rider of this.#ridersOf(topic)) {
      rider.ridingOn = undefined;
      this.#sendSubscribe(conn, rider);
    }
  }

  /**
   * Publishes a record: bytes as they are, a string as UTF-8, anything else as JSON. Resolves when the
   * gateway acknowledged it (Kafka has it); rejects with RequestError (FORBIDDEN, UNAVAILABLE, ...) or
   * ConnectionError (NOT_CONNECTED, TIMEOUT, CONNECTION_LOST). Not retried.
   */
  async publish(channel: string, value: Uint8Array | string | JsonValue, options: PublishOptions = {}): Promise<void> {
    const conn = this.#conn;
    if (!conn?.opened) throw new ConnectionError("NOT_CONNECTED", "not connected");
    const payload = value instanceof Uint8Array ? value
      : utf8.encode(typeof value === "string" ? value : JSON.stringify(value));
    const reply = await this.#request(conn,
      { case: "publish", value: { channel, payload, headers: options.headers ?? {} } as never },
      options.timeoutMs ?? this.#options.requestTimeoutMs ?? 15_000);
    this.#throwIfError(reply, channel);
  }

  /** An application-level round trip; resolves with the time it took, ms. */
  async ping(): Promise<number> {
    const conn = this.#conn;
    if (!conn?.opened) throw new ConnectionError("NOT_CONNECTED", "not connected");
    const start = Date.now();
    await this.#request(conn, { case: "ping", value: {} as never }, this.#options.requestTimeoutMs ?? 15_000);
    return Date.now() - start;
  }

  /** Closes with 1000; no reconnect. Every subscription ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    if (this.#conn) this.#drop(this.#conn, new ConnectionError("CLOSED", "the client was closed"));
    for (const sub of this.#subs.values()) sub.end();
    this.#subs.clear();
    this.#setState("closed");
  }

  // ---- connection ----

  async #connect(): Promise<void> {
    if (this.#closed) return;
    this.#setState("connecting");
    const url = this.urls[this.#urlIndex++ % this.urls.length]!;
    let token: string | undefined;
    if (this.#options.token) {
      try {
        token = await this.#options.token();
      } catch (e) {
        this.#error(new AuthError("TOKEN_SUPPLIER", `the token supplier failed: ${(e as Error)?.message ?? e}`));
        this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
        return;
      }
      if (this.#closed) return;
    }
    const target = token === undefined ? url : withToken(url, token);
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(target, [SUBPROTOCOL[this.format]]);
    } catch (e) {
      this.#error(new HandshakeError("HANDSHAKE_FAILED", `cannot open ${url}: ${(e as Error).message}`));
      this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
      return;
    }
    ws.binaryType = "arraybuffer";
    const conn: Conn = {
      ws, url, opened: false, dropped: false, pending: new Map(), lastRx: Date.now(), pingSentAt: 0,
      timers: new Set(), subscribing: 0,
    };
    this.#conn = conn;
    ws.onopen = () => this.#onOpen(conn, token);
    ws.onmessage = (ev) => this.#onData(conn, ev.data);
    ws.onerror = (ev) => {
      const e = ev as { message?: string; error?: { message?: string } };
      conn.errorText = e?.error?.message ?? e?.message;
      // Node 20's built-in WebSocket reports a refused upgrade with an error and no close event.
      if (!conn.opened) setTimeout(() => this.#onClose(conn, target, 1006, ""), 0);
    };
    ws.onclose = (ev) => this.#onClose(conn, target, ev.code, ev.reason);
    this.#timer(conn, this.#options.connectTimeoutMs ?? 10_000, () => {
      if (conn.opened) return;
      this.#error(new HandshakeError("HANDSHAKE_TIMEOUT", `no WebSocket upgrade from ${url} in time`));
      this.#drop(conn, new ConnectionError("CONNECTION_LOST", "upgrade timed out"));
      this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
    });
  }

  #onOpen(conn: Conn, token: string | undefined): void {
    if (conn.dropped) return;
    const expected = SUBPROTOCOL[this.format];
    if (conn.ws.protocol !== expected) {
      this.#error(new ProtocolError(
        `${conn.url} selected subprotocol ${JSON.stringify(conn.ws.protocol)}, not ${expected}`));
      this.#drop(conn, new ConnectionError("CONNECTION_LOST", "wrong subprotocol"));
      this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
      return;
    }
    conn.opened = true;
    conn.lastRx = Date.now();
    this.#setState("open");
    this.emit("open", { url: conn.url });
    this.#scheduleLiveness(conn, this.#options.pingIntervalMs ?? 15_000);
    if (token !== undefined) this.#scheduleRefresh(conn, token, Date.now());
    // A keyed subscription T/K whose whole topic T the client also holds rides on T's stream instead of
    // resuming on its own: two overlapping channels resuming side by side replay their records in two
    // interleaved streams, and a partition's offsets would reach one subscription out of order (its later,
    // lower offsets then look like duplicates). T's stream carries K's records in order (PROTOCOL.md §4.2).
    for (const sub of this.#subs.values()) {
      const topic = this.#subs.get(topicOf(sub.channel));
      if (topic && canRideOn(sub, topic)) {
        sub.ridingOn = topic;
        sub.setState("subscribing");
      } else {
        this.#sendSubscribe(conn, sub);
      }
    }
    if (this.#subs.size === 0) this.#backoff.reset();
  }

  #onData(conn: Conn, raw: unknown): void {
    if (conn.dropped) return;
    conn.lastRx = Date.now();
    let decoded;
    try {
      decoded = decode(this.format, raw);
    } catch (e) {
      this.#error(e as FanwireError); // one bad frame is reported, the connection stays
      return;
    }
    const frame: ServerFrame = decoded.frame;
    switch (frame.kind.case) {
      case "reply": {
        const reply = frame.kind.value;
        const pending = conn.pending.get(reply.id);
        if (pending) {
          conn.pending.delete(reply.id);
          clearTimeout(pending.timer);
          pending.resolve(reply);
        } else if (reply.result.case === "error") {
          this.#error(new RequestError(reply.result.value.code, reply.result.value.message));
        }
        return;
      }
      case "message": {
        const m = frame.kind.value;
        const slash = m.channel.indexOf("/");
        const exact = this.#subs.get(m.channel);
        const whole = slash > 0 ? this.#subs.get(m.channel.slice(0, slash)) : undefined;
        for (const sub of [exact, whole]) {
          if (!sub) continue;
          sub.deliver(new FanwireMessage({
            subscription: sub.channel, channel: m.channel, key: slash > 0 ? m.key : (m.key || undefined),
            partition: m.partition, offset: m.offset, timestamp: Number(m.timestamp), snapshot: m.snapshot,
            headers: m.headers, payload: m.payload, data: decoded.data, hasData: decoded.hasData,
          }));
        }
        return;
      }
      case "gap": {
        const g = frame.kind.value;
        for (const sub of this.#subs.values()) {
          if (g.channel !== sub.channel && g.channel !== sub.topic) continue;
          sub.onGap({ subscription: sub.channel, channel: g.channel, partition: g.partition,
            fromOffset: g.fromOffset, toOffset: g.toOffset, reason: g.reason });
        }
        return;
      }
      case "goAway": {
        const g = frame.kind.value;
        if (g.channels.length > 0) {
          for (const cp of g.channels) {
            const sub = this.#subs.get(cp.channel);
            if (sub) for (const p of cp.positions) sub.positionTable.merge(p.partition, p.offset);
          }
        } else {
          for (const sub of this.#subs.values()) {
            if (sub.subscribedOnce) for (const p of g.resumeFrom) sub.positionTable.merge(p.partition, p.offset);
          }
        }
        const within = Number(g.reconnectWithinMs);
        this.emit("goaway", { reason: g.reason, reconnectWithinMs: within });
        this.#drop(conn, new ConnectionError("CONNECTION_LOST", `the server went away: ${g.reason}`));
        this.#scheduleReconnect({ delayMs: Math.random() * within, cause: "goaway" });
        return;
      }
      default:
        return; // pong (reserved) and kinds added later are ignored
    }
  }

  #onClose(conn: Conn, target: string, code: number, reason: string): void {
    if (conn.dropped) return;
    const wasOpen = conn.opened;
    this.#drop(conn, new ConnectionError("CONNECTION_LOST", `connection closed (${code}${reason ? " " + reason : ""})`, code));
    if (this.#closed) return;
    if (!wasOpen) {
      void this.#handshakeFailed(conn, target).then((error) => {
        this.#error(error);
        this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
      });
      return;
    }
    this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff", closeCode: code, closeReason: reason });
  }

  /** Tells why an upgrade failed: from the error text (the `ws` package says), or by probing. */
  async #handshakeFailed(conn: Conn, target: string): Promise<FanwireError> {
    const text = conn.errorText ?? "";
    const expected = SUBPROTOCOL[this.format];
    let status: number | undefined;
    let protocol: string | undefined;
    const m = /Unexpected server response: (\d{3})/.exec(text);
    if (m) status = Number(m[1]);
    else if (/subprotocol/i.test(text)) protocol = "?";
    else if (this.#options.probeHandshake ?? true) {
      const probe = await probeHandshake(target, expected);
      if (probe?.unreachable) {
        return new ConnectionError("UNREACHABLE", `cannot reach ${conn.url}`);
      }
      status = probe?.status;
      protocol = probe?.protocol;
    }
    if (status === 401) {
      return new AuthError("UNAUTHENTICATED", `${conn.url} refused the token (HTTP 401)`, 401);
    }
    if (status === 403) {
      return new HandshakeError("FORBIDDEN", `${conn.url} refused the upgrade (HTTP 403: origin not allowed)`, 403);
    }
    if ((status === 101 || status === undefined) && protocol !== undefined && protocol !== expected) {
      return new ProtocolError(`${conn.url} answered with subprotocol ${JSON.stringify(protocol)}, not ${expected}`);
    }
    if (status !== undefined && status !== 101) {
      return new HandshakeError("HANDSHAKE_REFUSED", `${conn.url} refused the upgrade (HTTP ${status})`, status);
    }
    return new HandshakeError("HANDSHAKE_FAILED", `the upgrade to ${conn.url} failed${text ? ": " + text : ""}`);
  }

  /** Ends a connection: no more events from it, pending requests fail, subscriptions wait for the next one. */
  #drop(conn: Conn, reason: ConnectionError): void {
    if (conn.dropped) return;
    conn.dropped = true;
    if (this.#conn === conn) this.#conn = undefined;
    for (const t of conn.timers) clearTimeout(t);
    conn.timers.clear();
    const ws = conn.ws;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    try {
      ws.close(1000);
    } catch {
      // already closing
    }
    for (const p of conn.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    conn.pending.clear();
    for (const sub of this.#subs.values()) {
      sub.ridingOn = undefined;
      sub.positionTable.connectionEnded();
      if (sub.state === "live") sub.setState("subscribing");
    }
  }

  #scheduleReconnect(info: ReconnectInfo): void {
    if (this.#closed) return;
    clearTimeout(this.#reconnectTimer);
    this.#setState("connecting");
    this.emit("reconnect", info);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), info.delayMs);
  }

  // ---- requests ----

  #request(conn: Conn, kind: ClientKind, timeoutMs?: number): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      if (timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          conn.pending.delete(id);
          reject(new ConnectionError("TIMEOUT", `no reply within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      conn.pending.set(id, pending);
      try {
        conn.ws.send(encode(this.format, id, kind));
      } catch (e) {
        conn.pending.delete(id);
        clearTimeout(pending.timer);
        reject(new ConnectionError("NOT_CONNECTED", `cannot send: ${(e as Error).message}`));
      }
    });
  }

  #throwIfError(reply: Reply, channel?: string): void {
    if (reply.result.case === "error") {
      throw new RequestError(reply.result.value.code, reply.result.value.message, channel);
    }
  }

  #sendSubscribe(conn: Conn, sub: Subscription): void {
    const resume = sub.subscribedOnce;
    const value = {
      channel: sub.channel,
      snapshot: !resume && (sub.options.snapshot ?? false),
      resumeFrom: resume ? sub.positionTable.toList().map((p) => create(PositionSchema, p)) : [],
      maxRate: sub.options.maxRate ?? 0,
    };
    sub.setState("subscribing");
    conn.subscribing++;
    this.#request(conn, { case: "subscribe", value: value as never }).then(
      (reply) => {
        conn.subscribing--;
        if (this.#subs.get(sub.channel) !== sub) return; // unsubscribed meanwhile
        if (reply.result.case === "subscribed") {
          const positions = reply.result.value.positions.map((p) => ({ partition: p.partition, offset: p.offset }));
          sub.onSubscribed(positions);
          // Every record of a rider's key at or below the topic's positions came on this ordered stream too.
          for (const rider of this.#ridersOf(sub)) rider.onSubscribed(positions);
          if (conn.subscribing === 0) this.#backoff.reset(); // open and subscribed: the next failure starts over
        } else {
          const err = reply.result.case === "error"
            ? new RequestError(reply.result.value.code, reply.result.value.message, sub.channel)
            : new ProtocolError(`unexpected reply to subscribe ${sub.channel}`);
          if (resume && (err.code === "BAD_REQUEST" || err.code === "NOT_FOUND")) {
            // The gateway took this subscription before: a node that refuses to resume it is not
            // ready (e.g. it does not know the topic's partitions yet). Try again, elsewhere, later.
            this.#error(new RequestError(err.code, `${conn.url} refused to resume ${sub.channel} (${err.message}); reconnecting`, sub.channel));
            this.#drop(conn, new ConnectionError("CONNECTION_LOST", "a resume was refused"));
            this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
            return;
          }
          this.#subs.delete(sub.channel);
          sub.onRefused(err);
          this.#subscribeRiders(conn, sub);
        }
      },
      () => {
        conn.subscribing--; // connection lost: resubscribed on the next one
      },
    );
  }

  // ---- liveness and token ----

  #scheduleLiveness(conn: Conn, inMs: number): void {
    this.#timer(conn, Math.max(0, inMs), () => this.#checkLiveness(conn));
  }

  #checkLiveness(conn: Conn): void {
    const interval = this.#options.pingIntervalMs ?? 15_000;
    const timeout = this.#options.pingTimeoutMs ?? 10_000;
    const now = Date.now();
    if (conn.pingSentAt > 0 && conn.lastRx < conn.pingSentAt) {
      if (now - conn.pingSentAt >= timeout) {
        this.#error(new ConnectionError("LIVENESS", `${conn.url} did not answer a ping within ${timeout} ms`));
        this.#drop(conn, new ConnectionError("CONNECTION_LOST", "the server stopped answering"));
        this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
      } else {
        this.#scheduleLiveness(conn, conn.pingSentAt + timeout - now);
      }
      return;
    }
    if (now - conn.lastRx >= interval) {
      conn.pingSentAt = now;
      this.#request(conn, { case: "ping", value: {} as never }).catch(() => {});
      this.#scheduleLiveness(conn, timeout);
    } else {
      this.#scheduleLiveness(conn, conn.lastRx + interval - now);
    }
  }

  #scheduleRefresh(conn: Conn, token: string, obtainedAt: number): void {
    const delay = refreshDelay(token, Date.now(), obtainedAt, this.#options.refreshBeforeMs ?? 30_000);
    if (delay === undefined) return;
    this.#timer(conn, Math.max(delay, 500), () => void this.#refresh(conn));
  }

  async #refresh(conn: Conn): Promise<void> {
    let token: string;
    try {
      token = await this.#options.token!();
    } catch (e) {
      if (conn.dropped) return;
      this.#error(new AuthError("TOKEN_SUPPLIER", `the token supplier failed: ${(e as Error)?.message ?? e}`));
      this.#drop(conn, new ConnectionError("CONNECTION_LOST", "no token to refresh with"));
      this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
      return;
    }
    if (conn.dropped) return;
    const obtainedAt = Date.now();
    let reply: Reply;
    try {
      reply = await this.#request(conn, { case: "refresh", value: { token } as never },
        this.#options.requestTimeoutMs ?? 15_000);
    } catch {
      return; // connection lost or no answer: liveness and reconnect take care of it
    }
    if (conn.dropped) return;
    if (reply.result.case === "error") {
      this.#error(new AuthError(reply.result.value.code, `Refresh refused: ${reply.result.value.message}`));
      this.#drop(conn, new ConnectionError("CONNECTION_LOST", "token refresh refused"));
      this.#scheduleReconnect({ delayMs: this.#backoff.next(), cause: "backoff" });
      return;
    }
    this.#scheduleRefresh(conn, token, obtainedAt);
  }

  // ---- helpers ----

  #timer(conn: Conn, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      conn.timers.delete(t);
      if (!conn.dropped) fn();
    }, ms);
    conn.timers.add(t);
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit("state", state);
  }

  #error(e: FanwireError): void {
    this.emit("error", e);
  }
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidUrlError(String(url), "not a URL");
  }
  if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new InvalidUrlError(url, "the scheme must be ws: or wss:");
  if (u.hash) throw new InvalidUrlError(url, "a WebSocket URL has no fragment");
}

function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.searchParams.set("access_token", token);
  return u.toString();
}

function topicOf(channel: string): string {
  const slash = channel.indexOf("/");
  return slash < 0 ? channel : channel.slice(0, slash);
}

/** Whether keyed `sub` can resume on whole-topic `topic`'s stream: it asks nothing that stream does not give. */
function canRideOn(sub: Subscription, topic: Subscription): boolean {
  return sub !== topic && sub.channel.startsWith(topic.channel + "/")
    && (topic.state === "live" || topic.state === "subscribing") && topic.subscribedOnce
    && (sub.subscribedOnce || !(sub.options.snapshot ?? false))
    && (sub.options.maxRate ?? 0) === (topic.options.maxRate ?? 0);
}
