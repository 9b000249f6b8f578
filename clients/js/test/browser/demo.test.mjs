// The gateway's demo page (gateway/src/main/resources/web/index.html) with the bundled client, in
// headless Chromium: a static server on 127.0.0.1 serves the page and /fanwire.js and passes /ws
// through to a real gateway node; the board must fill from the snapshot of "quotes" and then move live.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startBroker, startNode, stopAll, waitFor } from "../harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const PAGE = path.resolve(here, "../../../../gateway/src/main/resources/web/index.html");
const BUNDLE = path.join(here, "../../dist/fanwire.browser.js");

let broker, node, http, context, profile;

before(async () => {
  broker = await startBroker();
  await broker.cmd("create quotes 2 compact");
  await broker.cmd("create trades 2");
  for (const [s, px] of [["AAPL", 189.12], ["MSFT", 410.5]]) {
    await broker.cmd(`produce quotes ${s} {"symbol":"${s}","bid":${px - 0.01},"ask":${px + 0.01},"last":${px},"volume":100,"ts":${Date.now()}}`);
  }
  node = await startNode(broker.bootstrap, { topics: "quotes,trades", snapshotTopics: "quotes" });
  http = createServer((req, res) => {
    if (req.url === "/fanwire.js") res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(BUNDLE));
    else if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(readFileSync(PAGE));
    else res.writeHead(404).end();
  });
  http.on("upgrade", (req, socket, head) => { // pass the WebSocket through to the node
    const upstream = connect(node.port, "127.0.0.1", () => {
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n`
        + Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join("\r\n") + "\r\n\r\n");
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  profile = mkdtempSync(path.join(tmpdir(), "fanwire-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
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

test("demo page: the board fills from the snapshot, then moves live; trades on the tape", { timeout: 60_000 }, async () => {
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${http.address().port}/`);
  await page.waitForFunction(() => document.querySelectorAll("#board tr").length === 2, null, { timeout: 10_000 });
  const cells = () => page.$$eval("#board tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  let rows = await cells();
  assert.deepEqual(rows.map((r) => [r[0], r[3], r[7]]), [["AAPL", "189.12", "snapshot"], ["MSFT", "410.50", "snapshot"]]);
  assert.match(await page.textContent("#conn"), /^connected to ws:\/\//);
  await broker.cmd(`produce quotes AAPL {"symbol":"AAPL","bid":190.00,"ask":190.02,"last":190.01,"volume":200,"ts":${Date.now()}}`);
  await broker.cmd(`produce trades AAPL {"symbol":"AAPL","price":190.01,"size":300,"side":"BUY","ts":${Date.now()}}`);
  await waitFor(async () => (await cells())[0][3] === "190.01", 10_000, "the live quote on the board");
  rows = await cells();
  assert.equal(rows[0][4], "+0.89 (+0.47%)");
  assert.equal(rows[0][5], "2");
  assert.match(rows[0][7], /^\d+ ms$/);
  await waitFor(async () => (await page.$$("#tape li")).length === 1, 10_000, "the trade on the tape");
  assert.match(await page.textContent("#tape li"), /AAPL\s*BUY\s*300 @ 190\.01/);
  assert.deepEqual(errors, []);
});
