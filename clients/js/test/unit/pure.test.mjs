// Unit tests of the client's pure parts, no server: positions and dedupe, backoff, token expiry
// scheduling, message payload/data, URL checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Positions } from "../../dist/positions.js";
import { Backoff } from "../../dist/backoff.js";
import { jwtTimes, refreshDelay } from "../../dist/token.js";
import { FanwireMessage } from "../../dist/message.js";
import { FanwireClient, InvalidUrlError, Subscription } from "../../dist/index.js";

test("positions: subscribed merges with max, duplicates are refused, a gap moves the position", () => {
  const p = new Positions();
  p.merge(0, 10n);
  p.merge(1, -1n);
  p.merge(0, 7n); // lower: ignored
  assert.equal(p.get(0), 10n);
  assert.equal(p.accept(0, 10n), false, "offset == position is a duplicate");
  assert.equal(p.accept(0, 9n), false, "offset < position is a duplicate");
  assert.equal(p.accept(0, 11n), true);
  assert.equal(p.get(0), 11n);
  assert.equal(p.accept(1, 0n), true, "-1 means nothing seen: offset 0 is new");
  assert.equal(p.accept(2, 5n), true, "an unknown partition takes the first record");
  p.gap(0, 20n);
  assert.equal(p.get(0), 20n);
  p.gap(0, 15n);
  assert.equal(p.get(0), 20n, "a gap never moves a position back");
  assert.equal(p.accept(0, 20n), false);
  assert.equal(p.accept(0, 21n), true);
  assert.deepEqual(p.toList(), [
    { partition: 0, offset: 21n },
    { partition: 1, offset: 0n },
    { partition: 2, offset: 5n },
  ]);
  assert.equal(p.accept(0, 2n ** 62n), true, "offsets beyond 2^53 stay exact");
  assert.equal(p.accept(0, 2n ** 62n + 1n), true);
  assert.equal(p.accept(0, 2n ** 62n), false);
});

test("subscription: with maxRate, duplicates per key and positions that lag; without, per partition", () => {
  const owner = { unsubscribeInternal() {} };
  const rated = new Subscription(owner, "t", { maxRate: 2 });
  const plain = new Subscription(owner, "t", {});
  const handed = new Map([[rated, []], [plain, []]]);
  for (const [sub, seen] of handed) {
    sub.on("message", (m) => seen.push(`${m.key ?? "-"}@${m.offset}`));
    sub.onSubscribed([{ partition: 0, offset: -1n }]);
  }
  // a@1 waited at the gateway for a's slot while b@2, whose slot was free, went out at once.
  for (const [key, offset] of [["a", 0n], ["b", 2n], ["a", 1n], ["a", 1n], ["b", 1n], [undefined, 3n], [undefined, 3n]]) {
    const m = new FanwireMessage({ subscription: "t", channel: key ? `t/${key}` : "t", key, partition: 0, offset,
      timestamp: 0, snapshot: false, headers: {}, payload: new Uint8Array(0), hasData: false });
    for (const sub of handed.keys()) sub.deliver(m);
  }
  assert.deepEqual(handed.get(rated), ["a@0", "b@2", "a@1", "-@3"]);
  assert.deepEqual(handed.get(plain), ["a@0", "b@2", "-@3"], "without maxRate a partition comes in offset order");
  assert.equal(rated.positions.get(0), -1n, "nothing is 1.5 s old: a resume now starts at the subscribed position");
  assert.equal(plain.positions.get(0), 3n);
});

test("backoff: exponential ceilings, jitter between half and all of the ceiling, capped, reset", () => {
  const draws = [0, 1, 0.5, 0, 1, 1, 1, 0];
  const b = new Backoff({ baseMs: 500, maxMs: 10_000 }, () => draws.shift());
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map((n) => b.ceiling(n)), [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.equal(b.next(), 250); // ceil 500, draw 0
  assert.equal(b.next(), 1000); // ceil 1000, draw 1
  assert.equal(b.next(), 1500); // ceil 2000, draw .5
  assert.equal(b.next(), 2000); // ceil 4000, draw 0
  assert.equal(b.next(), 8000);
  assert.equal(b.next(), 10_000);
  assert.equal(b.attempts, 6);
  b.reset();
  assert.equal(b.attempts, 0);
  assert.equal(b.next(), 500);
  for (let i = 0; i < 1000; i++) {
    const r = new Backoff({ baseMs: 100, maxMs: 400 });
    let total = 0;
    for (let n = 0; n < 5; n++) total += r.next();
    assert.ok(total >= 50 + 100 + 200 + 200 + 200, "never faster than half of each ceiling");
  }
  assert.throws(() => new Backoff({ baseMs: 0 }), RangeError);
});

function jwt(payload) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "HS256" })}.${b64(payload)}.sig`;
}

test("token: exp read from the JWT; refresh at 80% of the lifetime, 30 s before exp when that is earlier, never before half", () => {
  const now = 1_700_000_000_000;
  const s = now / 1000;
  assert.deepEqual(jwtTimes(jwt({ sub: "a", exp: s + 10, iat: s })), { expMs: now + 10_000, iatMs: now });
  assert.deepEqual(jwtTimes("not-a-jwt"), {});
  assert.equal(refreshDelay("opaque", now), undefined, "no exp: no timer");
  // one hour: 80% is 48 min, 30 s before exp is 59.5 min -> 48 min
  assert.equal(refreshDelay(jwt({ exp: s + 3600, iat: s }), now), 0.8 * 3600_000);
  // 100 s: 80% = 80 s, exp - 30 s = 70 s -> 70 s
  assert.equal(refreshDelay(jwt({ exp: s + 100, iat: s }), now), 70_000);
  // 4 s: exp - 30 s is in the past; half the lifetime (2 s) is the floor
  assert.equal(refreshDelay(jwt({ exp: s + 4, iat: s }), now), 2000);
  // without iat, the lifetime counts from when the token was obtained
  assert.equal(refreshDelay(jwt({ exp: s + 3600 }), now + 1000, now), 0.8 * 3600_000 - 1000);
  // already expired: at once
  assert.equal(refreshDelay(jwt({ exp: s - 5, iat: s - 10 }), now), 0);
});

test("message: payload and data, lazily; data absent when the value is not JSON", () => {
  const base = { subscription: "q", channel: "q/A", key: "A", partition: 1, offset: 5n, timestamp: 1, snapshot: false, headers: {} };
  const fromPayload = new FanwireMessage({ ...base, payload: new TextEncoder().encode('{"bid":1.5}'), hasData: false });
  assert.deepEqual(fromPayload.data, { bid: 1.5 });
  const notJson = new FanwireMessage({ ...base, payload: new Uint8Array([0xff, 0x00]), hasData: false });
  assert.equal(notJson.data, undefined);
  assert.deepEqual([...notJson.payload], [0xff, 0x00]);
  const fromData = new FanwireMessage({ ...base, data: { a: [1, 2] }, hasData: true });
  assert.equal(new TextDecoder().decode(fromData.payload), '{"a":[1,2]}');
  const text = new FanwireMessage({ ...base, data: "héllo", hasData: true });
  assert.deepEqual(text.payload, new TextEncoder().encode("héllo"));
  assert.equal(text.text, "héllo");
  assert.equal(JSON.parse(JSON.stringify(fromData)).offset, "5", "toJSON writes the bigint offset as a string");
});

test("construction: a bad URL is a typed error at once", () => {
  const WebSocket = class {}; // never used: autoConnect false
  if (!globalThis.WebSocket) {
    assert.throws(() => new FanwireClient("ws://h/ws", { autoConnect: false }), (e) => e.code === "NO_WEBSOCKET");
  }
  for (const bad of ["http://localhost:8080/ws", "not a url", "", "ws://h/ws#frag"]) {
    assert.throws(() => new FanwireClient(bad, { autoConnect: false, WebSocket }), InvalidUrlError, bad);
  }
  assert.throws(() => new FanwireClient([], { autoConnect: false, WebSocket }), InvalidUrlError);
  assert.throws(() => new FanwireClient(["ws://a/ws", "ftp://b"], { autoConnect: false, WebSocket }), (e) => e.code === "INVALID_URL");
  const ok = new FanwireClient(["ws://127.0.0.1:1/ws", "wss://example.com/ws"], { autoConnect: false, WebSocket });
  assert.equal(ok.state, "connecting");
  ok.close();
  assert.equal(ok.state, "closed");
});
