// Conformance scenarios (PROTOCOL.md client list) against REAL processes: one DevKafka broker and
// gateway nodes from fanwire.jar, all spawned here on loopback and killed at the end. Each scenario
// runs the client in Node with the built-in WebSocket (node --experimental-websocket).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import {
  FanwireClient, AuthError, ProtocolError, RequestError, ConnectionError, InvalidUrlError,
} from "../../dist/index.js";
import { freePort, RecordCheck, sleep, startBroker, startNode, stopAll, token, waitFor } from "../harness.mjs";

const TOPICS = "live,kill,drain,gap,snap,rate,mrate,mkill,unsub,pub,secret,alive,tok";
const RULES = "subscribe secret* nobody;publish secret* nobody;any * anyone";
const FAST = { backoff: { baseMs: 200, maxMs: 1000 }, connectTimeoutMs: 2000, shuffleUrls: false };
const T = { timeout: 60_000 };

let broker;
let main; // a node that stays up for the whole suite
const clients = [];

function client(urls, options = {}) {
  const c = new FanwireClient(urls, { ...FAST, ...options });
  c.errors = [];
  c.opens = [];
  c.goaways = [];
  c.on("error", (e) => c.errors.push(e));
  c.on("open", (o) => c.opens.push(o.url));
  c.on("goaway", (g) => c.goaways.push(g));
  clients.push(c);
  return c;
}

/** Subscribes and records every message in a RecordCheck. */
function track(c, channel, options) {
  const sub = c.subscribe(channel, options);
  sub.check = new RecordCheck();
  sub.messages = [];
  sub.gaps = [];
  sub.on("message", (m) => {
    sub.messages.push(m);
    if (m.data && typeof m.data === "object" && "seq" in m.data) sub.check.add(m);
  });
  sub.on("gap", (g) => sub.gaps.push(g));
  return sub;
}

/** Attempt times must respect the backoff: gap n >= half of ceiling n (base 200, max 1000). */
function assertBackoff(times, what) {
  assert.ok(times.length >= 3, `${what}: at least 3 attempts, got ${times.length}`);
  for (let n = 0; n + 1 < times.length; n++) {
    const ceiling = Math.min(1000, 200 * 2 ** n);
    const gap = times[n + 1] - times[n];
    assert.ok(gap >= ceiling / 2 - 15, `${what}: attempt ${n + 1} came ${gap} ms after attempt ${n}, backoff allows no less than ${ceiling / 2} ms`);
  }
}

before(async () => {
  broker = await startBroker();
  for (const t of TOPICS.split(",")) {
    await broker.cmd(t === "snap" ? `create ${t} 2 compact` : ["gap", "rate", "mrate", "mkill"].includes(t) ? `create ${t} 1` : `create ${t} 3`);
  }
  main = await startNode(broker.bootstrap, nodeOptions());
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  await stopAll();
});

function nodeOptions(extra = {}) {
  // JSON topics (PROTOCOL.md §2.4): JSON connections get these values as "data", proto ones as payload bytes.
  return { topics: TOPICS, snapshotTopics: "snap", publish: true,
    extra: ["--auth-rules", RULES, "--payload-formats", "live=json,kill=json,drain=json,snap=json,gap=json"], ...extra };
}

for (const format of ["json", "proto"]) {
  test(`live delivery in order per key (${format})`, T, async () => {
    const c = client(main.url, { format });
    const sub = track(c, "live");
    await sub.ready;
    assert.equal(sub.state, "live");
    assert.equal(sub.positions.size, 3, "subscribed gives a position per partition");
    await broker.cmd(`produce-n live 300 7 ${format}`);
    await broker.cmd(`produce live hdr-key not-json`);
    await waitFor(() => sub.check.has(format, 300), 15_000, `300 records on ${format}`);
    assert.deepEqual(sub.check.summary([[format, 300]]), { delivered: 300, missing: 0, duplicates: 0, outOfOrder: 0 });
    const m = sub.messages[0];
    assert.equal(typeof m.offset, "bigint");
    assert.equal(m.channel, `live/${m.key}`);
    assert.ok(m.timestamp > 1.7e12);
    assert.equal(m.snapshot, false);
    assert.deepEqual(m.data, JSON.parse(new TextDecoder().decode(m.payload)));
    await waitFor(() => sub.messages.some((x) => x.key === "hdr-key"), 5000, "the non-JSON record");
    const raw = sub.messages.find((x) => x.key === "hdr-key");
    assert.equal(raw.data, undefined, "a value that is not JSON has no data");
    assert.equal(raw.text, "not-json");
    // async iteration sees the next records in order
    const iter = sub[Symbol.asyncIterator]();
    await broker.cmd(`produce-n live 3 1 ${format}-it`);
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await iter.next()).value.data.seq);
    assert.deepEqual(seen, [0, 1, 2]);
    c.close();
    assert.equal((await iter.next()).done, true, "iteration ends at close");
    assert.equal(c.state, "closed");
    assert.equal(sub.state, "unsubscribed");
  });
}

test("node SIGKILL mid-stream with two nodes: every record once, in order per key", T, async () => {
  const victim = await startNode(broker.bootstrap, nodeOptions());
  const apps = ["json", "proto", "json", "proto"].map((format) => {
    const c = client([victim.url, main.url], { format });
    // Overlapping channels on one client: one key of the topic, then the whole topic. Resumed side by side
    // (the key first), the key's replay would run ahead of the topic's and the topic subscription would see a
    // partition out of order; the key rides on the topic's stream instead.
    const key = track(c, "kill/k3");
    return { c, sub: track(c, "kill"), key };
  });
  await Promise.all(apps.flatMap((a) => [a.sub.ready, a.key.ready]));
  assert.ok(apps.every((a) => a.c.url === victim.url), "every client starts on the node to be killed");
  const batches = 12;
  for (let i = 0; i < batches; i++) {
    await broker.cmd(`produce-n kill 100 10 k${i}`);
    if (i === 4) await victim.kill();
    await sleep(50);
  }
  const prefixes = Array.from({ length: batches }, (_, i) => [`k${i}`, 100]);
  for (const { c, sub } of apps) {
    await waitFor(() => sub.check.summary(prefixes).missing === 0, 20_000, `all ${batches * 100} records (${c.format}: ${JSON.stringify(sub.check.summary(prefixes))})`);
    assert.deepEqual(sub.check.summary(prefixes), { delivered: 1200, missing: 0, duplicates: 0, outOfOrder: 0 });
    assert.equal(c.url, main.url, "reconnected to the other node");
  }
  for (const { c, key } of apps) {
    const expected = prefixes.flatMap(([p]) => Array.from({ length: 10 }, (_, j) => `${p}:${3 + 10 * j}`));
    await waitFor(() => expected.every((id) => key.check.seen.has(id)), 20_000,
      `every kill/k3 record (${c.format}: ${expected.filter((id) => !key.check.seen.has(id)).length} missing)`);
    assert.equal(key.check.count, expected.length, "kill/k3: each record once");
    assert.equal(key.check.outOfOrder, 0, "kill/k3: in order");
  }
});

test("rolling drain (SIGTERM, GoAway): every record once; a snapshot subscription resumes instead of a second snapshot", T, async () => {
  await broker.cmd("produce snap s1 {\"v\":1}"); // before the node starts: it loads snapshots at start-up
  const draining = await startNode(broker.bootstrap, nodeOptions());
  const apps = ["json", "proto"].map((format) => {
    const c = client([draining.url, main.url], { format });
    return { c, sub: track(c, "drain"), snap: track(c, "snap", { snapshot: true }) };
  });
  await Promise.all(apps.flatMap((a) => [a.sub.ready, a.snap.ready]));
  for (let i = 0; i < 10; i++) {
    await broker.cmd(`produce-n drain 100 10 d${i}`);
    if (i === 3) draining.signal("SIGTERM");
    await sleep(50);
  }
  await broker.cmd("produce snap s1 {\"v\":2}");
  const prefixes = Array.from({ length: 10 }, (_, i) => [`d${i}`, 100]);
  for (const { c, sub, snap } of apps) {
    await waitFor(() => sub.check.summary(prefixes).missing === 0, 20_000, `all drain records (${JSON.stringify(sub.check.summary(prefixes))})`);
    assert.deepEqual(sub.check.summary(prefixes), { delivered: 1000, missing: 0, duplicates: 0, outOfOrder: 0 });
    assert.equal(c.goaways.length, 1, "one GoAway");
    assert.equal(c.goaways[0].reason, "draining");
    assert.equal(c.url, main.url);
    await waitFor(() => snap.messages.some((m) => m.data?.v === 2), 10_000, "the live snap record after the drain");
    assert.deepEqual(snap.messages.filter((m) => m.key === "s1").map((m) => [m.key, m.data.v, m.snapshot]), [["s1", 1, true], ["s1", 2, false]],
      "a snapshot first, then live; no second snapshot after the reconnect");
    assert.equal(snap.state, "live");
  }
  await draining.exited();
});

test("gap past retention: a node restart, records deleted meanwhile, the Gap is an event, then the rest", T, async () => {
  const port = await freePort();
  let node = await startNode(broker.bootstrap, nodeOptions({ extra: ["--auth-rules", RULES, "--port", String(port)] }));
  const c = client(node.url, { format: "json" });
  const sub = track(c, "gap");
  await sub.ready;
  await broker.cmd("produce-n gap 5 1 g0"); // offsets 0..4
  await waitFor(() => sub.check.count === 5, 10_000, "5 records");
  await node.kill();
  await broker.cmd("produce-n gap 5 1 g1"); // offsets 5..9, missed by the client
  await broker.cmd("delete-records gap 0 8"); // 5..7 gone
  node = await startNode(broker.bootstrap, nodeOptions({ extra: ["--auth-rules", RULES, "--port", String(port)] }));
  await waitFor(() => sub.check.count === 7, 20_000, "the 2 records after the gap");
  assert.equal(sub.gaps.length, 1);
  const g = sub.gaps[0];
  assert.deepEqual([g.partition, g.fromOffset, g.toOffset], [0, 5n, 7n]);
  assert.match(g.reason, /retention/);
  assert.deepEqual(sub.messages.slice(5).map((m) => m.offset), [8n, 9n]);
  assert.equal(sub.positions.get(0), 9n);
  assert.equal(sub.check.duplicates, 0);
  c.close();
  await node.kill();
});

test("snapshot then live with no seam", T, async () => {
  for (const [k, v] of [["a", 1], ["b", 1], ["c", 1], ["a", 2], ["b", 2]]) await broker.cmd(`produce snap ${k} {"v":${v}}`);
  const c = client(main.url, { format: "proto" });
  const sub = track(c, "snap", { snapshot: true });
  await sub.ready;
  await waitFor(() => sub.messages.filter((m) => m.snapshot && "abc".includes(m.key)).length === 3, 10_000, "the snapshot");
  for (const [k, v] of [["a", 3], ["d", 1]]) await broker.cmd(`produce snap ${k} {"v":${v}}`);
  await waitFor(() => sub.messages.some((m) => m.key === "d"), 10_000, "live records");
  await sleep(200);
  const byKey = {};
  for (const m of sub.messages) (byKey[m.key] ??= []).push([m.data.v, m.snapshot]);
  assert.deepEqual(byKey.a, [[2, true], [3, false]]);
  assert.deepEqual(byKey.b, [[2, true]]);
  assert.deepEqual(byKey.c, [[1, true]]);
  assert.deepEqual(byKey.d, [[1, false]]);
  c.close();
});

test("token that expires and is refreshed: the connection stays past exp, no 4001", T, async () => {
  const authNode = await startNode(broker.bootstrap, nodeOptions({ auth: "hs256" }));
  let supplied = 0;
  const c = client(authNode.url, { token: () => (supplied++, token("alice", 4)) });
  const reconnects = [];
  c.on("reconnect", (r) => reconnects.push(r));
  const sub = track(c, "tok");
  await sub.ready;
  await sleep(6500); // past the first token's exp
  await broker.cmd("produce-n tok 10 2 t");
  await waitFor(() => sub.check.has("t", 10), 10_000, "records after exp");
  assert.ok(supplied >= 3, `the token supplier was called for the connection and for refreshes (${supplied})`);
  assert.equal(c.opens.length, 1, "one connection: it was never closed");
  assert.deepEqual(reconnects, []);
  assert.deepEqual(c.errors, []);
  c.close();

  // 401: a refused token is a typed error; attempts respect the backoff; the supplier is called each time
  const times = [];
  const bad = client(authNode.url, { token: () => (times.push(Date.now()), "not-a-token") });
  await waitFor(() => times.length >= 5, 10_000, "5 attempts with a bad token");
  bad.close();
  const auth = bad.errors.filter((e) => e instanceof AuthError);
  assert.ok(auth.length >= 4, `AuthError per attempt (${bad.errors.map((e) => e.code)})`);
  assert.equal(auth[0].status, 401);
  assert.equal(auth[0].code, "UNAUTHENTICATED");
  assertBackoff(times, "401");
  await authNode.kill();
});

test("a node that stops answering (SIGSTOP): liveness replaces the connection, nothing lost", T, async () => {
  const frozen = await startNode(broker.bootstrap, nodeOptions());
  const c = client([frozen.url, main.url], { pingIntervalMs: 500, pingTimeoutMs: 1000 });
  const sub = track(c, "alive");
  await sub.ready;
  assert.equal(c.url, frozen.url);
  await broker.cmd("produce-n alive 50 5 a0");
  await waitFor(() => sub.check.has("a0", 50), 10_000, "records before the stop");
  frozen.signal("SIGSTOP");
  const stoppedAt = Date.now();
  await broker.cmd("produce-n alive 50 5 a1");
  await waitFor(() => c.url === main.url, 10_000, "a connection to the other node");
  const took = Date.now() - stoppedAt;
  await waitFor(() => sub.check.has("a1", 50), 10_000, "records produced while the node was stopped");
  assert.deepEqual(sub.check.summary([["a0", 50], ["a1", 50]]), { delivered: 100, missing: 0, duplicates: 0, outOfOrder: 0 });
  assert.ok(c.errors.some((e) => e instanceof ConnectionError && e.code === "LIVENESS"), "a LIVENESS error was reported");
  assert.ok(took < 4000, `replaced within ping interval + timeout + backoff (${took} ms)`);
  c.close();
  await frozen.kill();
});

test("publish: ok, FORBIDDEN, not connected; the record reaches a subscriber with headers", T, async () => {
  const c = client(main.url, { format: "proto" });
  const sub = track(c, "pub/alice");
  await sub.ready;
  await c.publish("pub/alice", { hello: "world" }, { headers: { trace: "abc" } });
  await waitFor(() => sub.messages.length === 1, 10_000, "the published record");
  assert.deepEqual(sub.messages[0].data, { hello: "world" });
  assert.equal(sub.messages[0].headers.trace, "abc");
  await c.publish("pub/alice", new Uint8Array([1, 2, 3]));
  await waitFor(() => sub.messages.length === 2, 10_000, "the published bytes");
  assert.deepEqual([...sub.messages[1].payload], [1, 2, 3]);
  await assert.rejects(c.publish("secret/x", "no"), (e) => e instanceof RequestError && e.code === "FORBIDDEN");
  await assert.rejects(c.publish("nosuchtopic/x", "no"), (e) => e instanceof RequestError && e.code === "NOT_FOUND");
  c.close();
  await assert.rejects(c.publish("pub/alice", "late"), (e) => e instanceof ConnectionError && e.code === "NOT_CONNECTED");
});

test("max_rate thins a fast key to at most that many per second, the latest value last", T, async () => {
  const c = client(main.url);
  const limited = track(c, "rate/k0", { maxRate: 4 });
  const other = client(main.url);
  const all = track(other, "rate/k0");
  await Promise.all([limited.ready, all.ready]);
  const start = Date.now();
  await broker.cmd("produce-n rate 200 1 r");
  await waitFor(() => all.check.has("r", 200), 10_000, "every record on the unlimited subscription");
  await waitFor(() => limited.messages.at(-1)?.data.seq === 199, 5000, "the latest value on the limited one");
  const secs = (Date.now() - start) / 1000;
  assert.ok(limited.messages.length <= 4 * secs + 2, `${limited.messages.length} messages in ${secs} s at maxRate 4`);
  assert.ok(limited.messages.length >= 1);
  assert.equal(limited.check.outOfOrder, 0);
  c.close();
  other.close();
});

/** Per key, the value of the last message handed to the application ("p:seq" of a produce-n record). */
function latestValues(sub) {
  const latest = {};
  for (const m of sub.messages) latest[m.key] = `${m.data.p}:${m.data.seq}`;
  return latest;
}

/** What latestValues gives once the last `produce-n TOPIC n n prefix` (keys k0..k(n-1)) has arrived. */
function lastRound(prefix, n) {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `${prefix}:${i}`]));
}

/** Waits until every key's latest value arrived, then checks it: a diff names the keys whose value is missing. */
async function assertLatest(sub, expected, ms) {
  await waitFor(() => JSON.stringify(latestValues(sub)) === JSON.stringify(expected), ms, "every key's latest value")
    .catch(() => {});
  assert.deepEqual(latestValues(sub), expected, "every key's latest value reached the application");
  assert.equal(sub.check.duplicates, 0, "nothing handed twice");
  assert.equal(sub.check.outOfOrder, 0, "no key seen older after newer");
}

test("max_rate on a whole topic: a key's record held for its slot, sent after a later offset of another key, is handed on", T, async () => {
  const c = client(main.url);
  const sub = track(c, "mrate", { maxRate: 2 });
  await sub.ready;
  // One partition. Round a: k0..k3 go out at once and take their keys' slots for 0.5 s. Round b: k0..k3 wait
  // for their slots while k4..k7, whose slots are free, go out at once with higher offsets.
  await broker.cmd("produce-n mrate 4 4 a");
  await broker.cmd("produce-n mrate 8 8 b");
  await assertLatest(sub, lastRound("b", 8), 5000);
  c.close();
});

test("max_rate, node SIGKILLed while records wait for their slots: they come from the other node", T, async () => {
  const victim = await startNode(broker.bootstrap, nodeOptions());
  const c = client([victim.url, main.url]);
  const sub = track(c, "mkill", { maxRate: 1 });
  await sub.ready;
  assert.equal(c.url, victim.url);
  await broker.cmd("produce-n mkill 8 8 w"); // offsets 0..7, each key's first record: out at once
  await waitFor(() => sub.check.has("w", 8), 10_000, "the first round");
  await sleep(2500); // longer than the client's lag (1 s slot + 1 s margin): it need not resume before offset 7
  await broker.cmd("produce-n mkill 4 4 a"); // 8..11 out at once; k0..k3's slots are taken for 1 s
  await broker.cmd("produce-n mkill 8 8 b"); // 12..15 (k0..k3) wait for their slots, 16..19 (k4..k7) go out
  await waitFor(() => [4, 5, 6, 7].every((i) => sub.check.seen.has(`b:${i}`)), 5000, "k4..k7's round b");
  assert.ok(!sub.check.seen.has("b:0"), "k0's latest value is still held by the node about to be killed");
  await victim.kill();
  await waitFor(() => c.url === main.url, 10_000, "a connection to the other node");
  await assertLatest(sub, lastRound("b", 8), 10_000);
  c.close();
});

test("unsubscribe: no message after it, positions forgotten, iteration ends", T, async () => {
  const c = client(main.url);
  const sub = track(c, "unsub");
  await sub.ready;
  await broker.cmd("produce-n unsub 10 2 u0");
  await waitFor(() => sub.check.has("u0", 10), 10_000, "records before unsubscribe");
  const iter = sub[Symbol.asyncIterator]();
  sub.unsubscribe();
  assert.equal(sub.state, "unsubscribed");
  assert.equal(sub.positions.size, 0);
  assert.equal((await iter.next()).done, true);
  await broker.cmd("produce-n unsub 10 2 u1");
  await c.ping();
  await sleep(300);
  assert.equal(sub.check.count, 10, "nothing handed after unsubscribe");
  assert.ok(!c.subscriptions.has("unsub"));
  const again = track(c, "unsub"); // a new subscription starts live
  await again.ready;
  c.close();
});

test("bad URL, FORBIDDEN subscribe (not retried)", T, async () => {
  assert.throws(() => new FanwireClient("http://127.0.0.1/ws"), InvalidUrlError);
  assert.throws(() => new FanwireClient("::"), (e) => e.code === "INVALID_URL");
  const c = client(main.url);
  const secret = c.subscribe("secret");
  const states = [];
  secret.on("state", (s) => states.push(s));
  await assert.rejects(secret.ready, (e) => e instanceof RequestError && e.code === "FORBIDDEN" && e.channel === "secret");
  assert.equal(secret.state, "failed");
  assert.equal(secret.error.code, "FORBIDDEN");
  await assert.rejects(c.subscribe("nosuchtopic").ready, (e) => e.code === "NOT_FOUND");
  await assert.rejects(c.subscribe("live", { snapshot: true }).ready, (e) => e.code === "BAD_REQUEST");
  const ok = c.subscribe("unsub");
  await ok.ready;
  assert.deepEqual([...c.subscriptions.keys()], ["unsub"], "refused subscriptions are dropped, not retried");
  assert.deepEqual(states, ["failed"]);
  c.close();
});

test("unknown subprotocol: a typed ProtocolError, attempts respect the backoff", T, async () => {
  const attempts = [];
  const server = createServer((req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket) => {
    if (req.headers["user-agent"] !== "fanwire-client-probe") attempts.push(Date.now());
    const accept = createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: chat.v2\r\n\r\n`);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const c = client(`ws://127.0.0.1:${server.address().port}/ws`);
    await waitFor(() => attempts.length >= 4, 10_000, "4 attempts");
    c.close();
    assert.ok(c.errors.length >= 3);
    assert.ok(c.errors.every((e) => e instanceof ProtocolError && e.code === "PROTOCOL_ERROR"), c.errors.map((e) => `${e.name} ${e.message}`).join("; "));
    assert.match(c.errors[0].message, /chat\.v2/);
    assertBackoff(attempts, "wrong subprotocol");
  } finally {
    server.close();
  }
});
