// The same client, bundled (dist/fanwire.browser.js), in real headless Chromium (/usr/bin/chromium or
// $CHROMIUM) driven by playwright-core. A tiny static server on 127.0.0.1 serves the test page and the
// bundle; the Node side spawns the broker and gateway nodes, causes the faults and reads the results
// with page.evaluate.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { freePort, sleep, startBroker, startNode, stopAll, token, waitFor, SECRET } from "../harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const BUNDLE = path.join(here, "../../dist/fanwire.browser.js");
const TOPICS = "live,kill,drain,gap,snap,alive,tok,secret";
const RULES = "subscribe secret* nobody;any * anyone";
const FAST = { backoff: { baseMs: 200, maxMs: 1000 }, connectTimeoutMs: 2000, shuffleUrls: false };
const T = { timeout: 60_000 };

let broker, main, http, context, page, profile;

// Every topic a JSON topic (PROTOCOL.md §2.4): the JSON client in the page gets values as "data".
const FORMATS = ["--payload-formats", TOPICS.split(",").map((t) => `${t}=json`).join(",")];
const nodeOptions = (opts = {}) => ({ topics: TOPICS, snapshotTopics: "snap", ...opts,
  extra: ["--auth-rules", RULES, ...FORMATS, ...(opts.extra ?? [])] });
const evaluate = (fn, arg) => page.evaluate(fn, arg);
const app = (name) => evaluate((n) => {
  const a = window.apps[n];
  return { ...a, client: undefined, sub: undefined, seen: a.seen.size, url: a.client.url, state: a.client.state,
    subState: a.sub?.state, positions: a.sub ? Object.fromEntries([...a.sub.positions].map(([p, o]) => [p, String(o)])) : {} };
}, name);
const start = (name, urls, options, channel, subOptions) =>
  evaluate(([n, u, o, c, s]) => window.startApp(n, u, o, c, s), [name, urls, { ...FAST, ...options }, channel, subOptions]);
const summary = (name, prefixes) => evaluate(([n, p]) => window.summary(n, p), [name, prefixes]);
const closeApp = (name) => evaluate((n) => window.apps[n].client.close(), name);

before(async () => {
  http = createServer((req, res) => {
    if (req.url === "/fanwire.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(BUNDLE));
    } else if (req.url === "/" ) {
      res.writeHead(200, { "content-type": "text/html" }).end(readFileSync(path.join(here, "page.html")));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  profile = mkdtempSync(path.join(tmpdir(), "fanwire-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => console.error("page error:", e));
  // Tokens are made on the Node side (HMAC), handed to the page through a binding.
  await page.exposeFunction("makeTokenNode", (sub, seconds) => token(sub, seconds, SECRET));
  await page.goto(`http://127.0.0.1:${http.address().port}/`);
  await page.waitForFunction(() => window.ready === true);
  await evaluate(() => {
    // a synchronous-looking supplier: the client awaits whatever the supplier returns
    window.makeToken = (sub, seconds) => window.makeTokenNode(sub, seconds);
  });
  broker = await startBroker();
  for (const t of TOPICS.split(",")) await broker.cmd(t === "snap" ? `create ${t} 2 compact` : t === "gap" ? `create ${t} 1` : `create ${t} 3`);
  main = await startNode(broker.bootstrap, nodeOptions());
}, { timeout: 120_000 });

after(async () => {
  try {
    await context?.close();
  } finally {
    http?.close();
    await stopAll();
    if (profile) rmSync(profile, { recursive: true, force: true });
  }
});

test("browser: live delivery in order per key (json and proto)", T, async () => {
  await start("live-json", main.url, { format: "json" }, "live");
  await start("live-proto", main.url, { format: "proto" }, "live");
  await waitFor(async () => (await app("live-json")).ready && (await app("live-proto")).ready, 10_000, "subscribed");
  await broker.cmd("produce-n live 300 7 b");
  for (const n of ["live-json", "live-proto"]) {
    await waitFor(async () => (await summary(n, [["b", 300]])).missing === 0, 15_000, `${n}: 300 records`);
    assert.deepEqual(await summary(n, [["b", 300]]), { delivered: 300, missing: 0, duplicates: 0, outOfOrder: 0 });
    await closeApp(n);
  }
});

test("browser: node SIGKILL mid-stream with two nodes", T, async () => {
  const victim = await startNode(broker.bootstrap, nodeOptions());
  await start("kill", [victim.url, main.url], {}, "kill");
  await waitFor(async () => (await app("kill")).ready, 10_000, "subscribed");
  const k0 = await app("kill");
  assert.equal(k0.url, victim.url, JSON.stringify({ opens: k0.opens, errors: k0.errors }));
  for (let i = 0; i < 8; i++) {
    await broker.cmd(`produce-n kill 100 10 k${i}`);
    if (i === 3) await victim.kill();
    await sleep(50);
  }
  const prefixes = Array.from({ length: 8 }, (_, i) => [`k${i}`, 100]);
  await waitFor(async () => (await summary("kill", prefixes)).missing === 0, 20_000, "every record");
  assert.deepEqual(await summary("kill", prefixes), { delivered: 800, missing: 0, duplicates: 0, outOfOrder: 0 });
  const k = await app("kill");
  assert.equal(k.url, main.url, JSON.stringify({ opens: k.opens, errors: k.errors, victim: victim.url }));
  await closeApp("kill");
});

test("browser: rolling drain with GoAway", T, async () => {
  const draining = await startNode(broker.bootstrap, nodeOptions());
  await start("drain", [draining.url, main.url], { format: "proto" }, "drain");
  await waitFor(async () => (await app("drain")).ready, 10_000, "subscribed");
  for (let i = 0; i < 8; i++) {
    await broker.cmd(`produce-n drain 100 10 d${i}`);
    if (i === 3) draining.signal("SIGTERM");
    await sleep(50);
  }
  const prefixes = Array.from({ length: 8 }, (_, i) => [`d${i}`, 100]);
  await waitFor(async () => (await summary("drain", prefixes)).missing === 0, 20_000, "every record");
  assert.deepEqual(await summary("drain", prefixes), { delivered: 800, missing: 0, duplicates: 0, outOfOrder: 0 });
  const a = await app("drain");
  assert.equal(a.goaways.length, 1);
  assert.equal(a.goaways[0].reason, "draining");
  assert.equal(a.url, main.url);
  await closeApp("drain");
  await draining.exited();
});

test("browser: gap past retention", T, async () => {
  const port = await freePort();
  let node = await startNode(broker.bootstrap, nodeOptions({ extra: ["--port", String(port)] }));
  await start("gap", node.url, {}, "gap");
  await waitFor(async () => (await app("gap")).ready, 10_000, "subscribed");
  await broker.cmd("produce-n gap 5 1 g0");
  await waitFor(async () => (await app("gap")).messages.length === 5, 10_000, "5 records");
  await node.kill();
  await broker.cmd("produce-n gap 5 1 g1");
  await broker.cmd("delete-records gap 0 8");
  node = await startNode(broker.bootstrap, nodeOptions({ extra: ["--port", String(port)] }));
  await waitFor(async () => (await app("gap")).messages.length === 7, 20_000, "the records after the gap")
    .catch(async (e) => {
      const a = await app("gap");
      throw new Error(`${e.message}: ${JSON.stringify({ refused: a.refused, subError: await evaluate(() => { const e = window.apps.gap.sub.error; return e && e.message; }), messages: a.messages.length, gaps: a.gaps, opens: a.opens, errors: a.errors, state: a.state, subState: a.subState })}`);
    });
  const a = await app("gap");
  assert.deepEqual(a.gaps.map((g) => [g.partition, g.from, g.to]), [[0, "5", "7"]]);
  assert.deepEqual(a.messages.slice(5).map((m) => m.offset), ["8", "9"]);
  assert.equal(a.duplicates, 0);
  await closeApp("gap");
  await node.kill();
});

test("browser: snapshot then live with no seam", T, async () => {
  for (const [k, v] of [["a", 1], ["b", 1], ["a", 2]]) await broker.cmd(`produce snap ${k} {"v":${v}}`);
  await start("snap", main.url, {}, "snap", { snapshot: true });
  await waitFor(async () => (await app("snap")).snapshots.length === 2, 10_000, "the snapshot");
  await broker.cmd('produce snap a {"v":3}');
  await waitFor(async () => (await app("snap")).messages.length === 3, 10_000, "the live record");
  const a = await app("snap");
  assert.deepEqual(a.messages.map((m) => [m.key, m.data.v, m.snapshot]).sort(), [["a", 2, true], ["a", 3, false], ["b", 1, true]]);
  assert.deepEqual(a.messages.at(-1), { key: "a", offset: a.messages.at(-1).offset, snapshot: false, data: { v: 3 } });
  await closeApp("snap");
});

test("browser: token refreshed before exp, and a refused token (401) with backoff", T, async () => {
  const authNode = await startNode(broker.bootstrap, nodeOptions({ auth: "hs256" }));
  await start("tok", authNode.url, { tokenFor: { sub: "alice", seconds: 4 } }, "tok");
  await waitFor(async () => (await app("tok")).ready, 10_000, "subscribed");
  await sleep(6500);
  await broker.cmd("produce-n tok 10 2 t");
  await waitFor(async () => (await summary("tok", [["t", 10]])).missing === 0, 10_000, "records after exp");
  let a = await app("tok");
  assert.equal(a.opens.length, 1, "one connection, never closed");
  assert.ok(a.attempts.length >= 3, `supplier called for refreshes (${a.attempts.length})`);
  assert.deepEqual(a.errors, []);
  await closeApp("tok");

  await start("bad", authNode.url, { tokenFor: { literal: "not-a-token" } }, "tok");
  await waitFor(async () => (await app("bad")).attempts.length >= 5, 10_000, "5 attempts");
  await closeApp("bad");
  a = await app("bad");
  // A browser hides the HTTP status of a refused upgrade; the client reports a typed HandshakeError
  // (AuthError when the gateway lets the probe see the 401, see README) and backs off.
  assert.ok(a.errors.length >= 4);
  for (const e of a.errors) {
    assert.ok(e.typed && ((e.name === "AuthError" && e.status === 401) || (e.name === "HandshakeError" && e.code === "HANDSHAKE_FAILED")),
      JSON.stringify(e));
  }
  for (let n = 0; n + 1 < a.attempts.length; n++) {
    const floor = Math.min(1000, 200 * 2 ** n) / 2;
    assert.ok(a.attempts[n + 1] - a.attempts[n] >= floor - 15, `attempt ${n + 1} after ${a.attempts[n + 1] - a.attempts[n]} ms, backoff floor ${floor}`);
  }
  await authNode.kill();
});

test("browser: liveness replaces a connection to a stopped node (SIGSTOP)", T, async () => {
  const frozen = await startNode(broker.bootstrap, nodeOptions());
  await start("alive", [frozen.url, main.url], { pingIntervalMs: 500, pingTimeoutMs: 1000 }, "alive");
  await waitFor(async () => (await app("alive")).ready, 10_000, "subscribed");
  await broker.cmd("produce-n alive 50 5 a0");
  await waitFor(async () => (await summary("alive", [["a0", 50]])).missing === 0, 10_000, "records before the stop");
  frozen.signal("SIGSTOP");
  await broker.cmd("produce-n alive 50 5 a1");
  await waitFor(async () => (await app("alive")).url === main.url, 10_000, "a connection to the other node");
  await waitFor(async () => (await summary("alive", [["a0", 50], ["a1", 50]])).missing === 0, 10_000, "every record");
  assert.deepEqual(await summary("alive", [["a0", 50], ["a1", 50]]), { delivered: 100, missing: 0, duplicates: 0, outOfOrder: 0 });
  const al = await app("alive");
  assert.ok(al.errors.some((e) => e.code === "LIVENESS"), JSON.stringify(al.errors));
  await closeApp("alive");
  await frozen.kill();
});

test("browser: FORBIDDEN subscribe and a bad URL are typed errors", T, async () => {
  await start("forbidden", main.url, {}, "secret");
  await waitFor(async () => (await app("forbidden")).refused, 10_000, "the refusal");
  const a = await app("forbidden");
  assert.deepEqual(a.refused, { name: "RequestError", code: "FORBIDDEN", channel: "secret" });
  assert.equal(a.subState, "failed");
  await closeApp("forbidden");
  const bad = await evaluate(() => {
    try {
      new window.F.FanwireClient("https://example.com/ws");
      return "no error";
    } catch (e) {
      return [e.name, e.code, e instanceof window.F.InvalidUrlError];
    }
  });
  assert.deepEqual(bad, ["InvalidUrlError", "INVALID_URL", true]);
});
