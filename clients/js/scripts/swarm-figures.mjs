#!/usr/bin/env node
// Figures for the JS client: N clients (default 100, half JSON, half protobuf) in this one Node process,
// over two gateway nodes A and B (fixed loopback ports, so a restarted node has its old address) and a
// DevKafka broker, all spawned here. Records are produced all along; the faults:
//   node SIGKILL   A is killed (its clients move to B), then restarted;
//   rolling drain  B is drained (SIGTERM: GoAway, its clients move to A) and restarted, then A the same.
// Per fault: records produced, delivered to the apps (every client should get every record), lost,
// duplicates handed to an app, records out of order per key, and reconnects.
//
//   npm run build && node --experimental-websocket scripts/swarm-figures.mjs [--clients 100] [--batches 30]
//     [--batch-size 100] [--keys 20]
// Needs gateway/target/fanwire.jar and dev/target/fanwire-dev.jar (or FANWIRE_JAR, FANWIRE_DEV_JAR). Not part of npm test; run it alone on the machine.
import { parseArgs } from "node:util";
import { FanwireClient } from "../dist/index.js";
import { freePort, RecordCheck, sleep, startBroker, startNode, stopAll, waitFor } from "../test/harness.mjs";

const { values } = parseArgs({ options: {
  clients: { type: "string", default: "100" },
  batches: { type: "string", default: "30" },
  "batch-size": { type: "string", default: "100" },
  keys: { type: "string", default: "20" },
} });
const N = Number(values.clients), BATCHES = Number(values.batches), SIZE = Number(values["batch-size"]);
const KEYS = Number(values.keys);
const TOPICS = ["swarmkill", "swarmdrain"];

const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);

try {
  const broker = await startBroker();
  for (const t of TOPICS) await broker.cmd(`create ${t} 4`);
  const ports = [await freePort(), await freePort()];
  const start = (port) => startNode(broker.bootstrap, {
    topics: TOPICS.join(","), drainGraceMs: 10_000, spreadMs: 2000, extra: ["--port", String(port)],
  });
  const nodes = await Promise.all(ports.map(start)); // [A, B]
  const urls = nodes.map((n) => n.url);
  log(`broker ${broker.bootstrap}; A ${urls[0]}, B ${urls[1]}`);

  const apps = [];
  for (let i = 0; i < N; i++) {
    const client = new FanwireClient(urls, { format: i % 2 ? "proto" : "json" });
    const app = { client, checks: {}, subs: [], opens: 0, goaways: 0 };
    client.on("open", () => app.opens++);
    client.on("goaway", () => app.goaways++);
    for (const topic of TOPICS) {
      const sub = client.subscribe(topic);
      const check = new RecordCheck();
      sub.on("message", (m) => check.add(m));
      app.checks[topic] = check;
      app.subs.push(sub);
    }
    apps.push(app);
  }
  await Promise.all(apps.flatMap((x) => x.subs.map((s) => s.ready)));
  const spread = () => urls.map((u) => apps.filter((x) => x.client.url === u).length).join(" / ");
  log(`${N} clients subscribed (A / B: ${spread()})`);

  const results = [];
  async function phase(name, topic, faultAt) {
    const opens = apps.reduce((t, x) => t + x.opens, 0);
    const goaways = apps.reduce((t, x) => t + x.goaways, 0);
    const prefixes = [];
    let fault = Promise.resolve();
    for (let i = 0; i < BATCHES; i++) {
      const p = `${topic}${i}`;
      await broker.cmd(`produce-n ${topic} ${SIZE} ${KEYS} ${p}`);
      prefixes.push([p, SIZE]);
      if (faultAt[i]) fault = fault.then(faultAt[i]);
      await sleep(100);
    }
    await fault;
    const settleStart = Date.now();
    await waitFor(() => apps.every((x) => x.checks[topic].summary(prefixes).missing === 0), 60_000,
      `${name}: every client has every record`).catch((e) => log(e.message));
    const s = apps.map((x) => x.checks[topic].summary(prefixes));
    const row = {
      fault: name,
      clients: N,
      produced: BATCHES * SIZE,
      expected: BATCHES * SIZE * N,
      delivered: s.reduce((t, x) => t + x.delivered, 0),
      lost: s.reduce((t, x) => t + x.missing, 0),
      duplicates: s.reduce((t, x) => t + x.duplicates, 0),
      outOfOrder: s.reduce((t, x) => t + x.outOfOrder, 0),
      reconnects: apps.reduce((t, x) => t + x.opens, 0) - opens,
      goaways: apps.reduce((t, x) => t + x.goaways, 0) - goaways,
      settleMs: Date.now() - settleStart,
    };
    results.push(row);
    log(JSON.stringify(row));
  }

  const q = Math.floor(BATCHES / 4);
  await phase("node SIGKILL", "swarmkill", {
    [q]: async () => {
      log(`SIGKILL A (A / B: ${spread()})`);
      await nodes[0].kill();
      nodes[0] = await start(ports[0]);
      log(`A restarted (A / B: ${spread()})`);
    },
  });
  const drain = (i, label) => async () => {
    log(`SIGTERM ${label} (A / B: ${spread()})`);
    nodes[i].signal("SIGTERM");
    await nodes[i].exited();
    nodes[i] = await start(ports[i]);
    log(`${label} drained and restarted (A / B: ${spread()})`);
  };
  await phase("rolling drain", "swarmdrain", { [q]: drain(1, "B"), [2 * q]: drain(0, "A") });

  for (const x of apps) x.client.close();
  console.log("\nFIGURES " + JSON.stringify(results));
  console.table(results);
} finally {
  await stopAll();
}
