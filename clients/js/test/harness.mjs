// Test harness: spawns REAL processes — the DevKafka broker (from fanwire-dev.jar) and gateway nodes (from the
// production fanwire.jar) — on
// loopback with ports chosen by the OS, and kills every child at the end, even when a test fails or the
// runner is interrupted. Also: bounded waits, HS256 tokens, a record checker.
//   FANWIRE_JAR      path of fanwire.jar (default ../../gateway/target/fanwire.jar, from clients/js)
//   FANWIRE_DEV_JAR  path of fanwire-dev.jar (default ../../dev/target/fanwire-dev.jar, from clients/js)
//   JAVA         java executable (default: java on PATH)

import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const JAR = path.resolve(process.env.FANWIRE_JAR ?? path.join(here, "../../../gateway/target/fanwire.jar"));
export const DEV_JAR = path.resolve(process.env.FANWIRE_DEV_JAR
  ?? path.join(here, "../../../dev/target/fanwire-dev.jar"));
export const JAVA = process.env.JAVA ?? "java";
export const SECRET = "fanwire-js-client-tests-secret-0123456789";

const children = new Set();

function killAll() {
  for (const child of children) {
    try {
      process.kill(child.pid, "SIGCONT");
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
  children.clear();
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function track(child, name) {
  children.add(child);
  child.on("exit", () => children.delete(child));
  child.name = name;
  return child;
}

function checkJar(jar = JAR, variable = "FANWIRE_JAR") {
  if (!existsSync(jar)) {
    throw new Error(`${jar} not found: build it (./mvnw -B -q -DskipTests package -pl dev -am) or set ${variable}`);
  }
}

/** Waits until pred() is truthy (it may be async); fails with `what` after `ms`. */
export async function waitFor(pred, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The DevKafka broker: `cmd(line)` sends one stdin command and resolves with its answer line. */
export async function startBroker() {
  checkJar(DEV_JAR, "FANWIRE_DEV_JAR");
  const child = track(spawn(JAVA, ["-Xmx384m", "-cp", DEV_JAR, "io.fanwire.broker.DevKafka", "--port", "0"],
    { stdio: ["pipe", "pipe", "pipe"] }), "DevKafka");
  const stderr = [];
  child.stderr.on("data", (d) => { stderr.push(d); if (stderr.length > 200) stderr.shift(); });
  const lines = createInterface({ input: child.stdout });
  const waiters = [];
  let ready;
  const readyP = new Promise((resolve, reject) => {
    ready = resolve;
    child.on("exit", (code) => reject(new Error(`DevKafka exited (${code}) before READY:\n${Buffer.concat(stderr).toString().slice(-3000)}`)));
  });
  lines.on("line", (line) => {
    if (line.startsWith("READY ")) ready(line.slice(6).trim());
    else waiters.shift()?.(line);
  });
  const bootstrap = await withTimeout(readyP, 60_000, "DevKafka READY");
  let queue = Promise.resolve();
  const broker = {
    bootstrap,
    child,
    cmd(line) {
      const p = queue.then(() => new Promise((resolve, reject) => {
        waiters.push((answer) => (answer.startsWith("OK") ? resolve(answer) : reject(new Error(`${line} -> ${answer}`))));
        child.stdin.write(line + "\n");
      }));
      queue = p.catch(() => {});
      return withTimeout(p, 40_000, `DevKafka answer to ${line}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin.end();
      await withTimeout(new Promise((r) => child.on("exit", r)), 15_000, "DevKafka exit").catch(() => child.kill("SIGKILL"));
    },
  };
  return broker;
}

/**
 * A gateway node in production mode against `bootstrap`. Resolves once /readyz is 200.
 * opts: { topics, snapshotTopics, auth: "anonymous" | "hs256", publish, drainGraceMs, extra: [] }
 */
export async function startNode(bootstrap, opts = {}) {
  checkJar();
  const args = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR,
    "--kafka-bootstrap", bootstrap, "--topics", opts.topics ?? "t",
    "--port", "0", "--admin-port", "0", "--bind-address", "127.0.0.1", "--admin-bind-address", "127.0.0.1",
    "--io-threads", "2", "--catchup-readers", "1"];
  if (opts.auth === "hs256") args.push("--auth-hs256-secret", SECRET, "--auth-clock-skew-ms", "0");
  else args.push("--auth-anonymous", "true");
  if (opts.snapshotTopics) args.push("--snapshot-topics", opts.snapshotTopics);
  if (opts.publish) args.push("--publish-enabled", "true");
  args.push("--drain-grace-ms", String(opts.drainGraceMs ?? 3000), "--drain-reconnect-spread-ms", String(opts.spreadMs ?? 300));
  args.push(...(opts.extra ?? []));
  const child = track(spawn(JAVA, args, { stdio: ["ignore", "pipe", "pipe"] }), "gateway");
  const log = [];
  const onData = (d) => { log.push(d.toString()); if (log.length > 400) log.shift(); };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const text = () => log.join("");
  const ports = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${text().slice(-3000)}`);
    const ws = /WebSocket listener on \/127\.0\.0\.1:(\d+)/.exec(text());
    const admin = /admin listener on \/127\.0\.0\.1:(\d+)/.exec(text());
    return ws && admin ? { ws: Number(ws[1]), admin: Number(admin[1]) } : undefined;
  }, 60_000, "gateway listeners");
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${text().slice(-3000)}`);
    try {
      return (await fetch(`http://127.0.0.1:${ports.admin}/readyz`)).status === 200;
    } catch {
      return false;
    }
  }, 60_000, "gateway /readyz");
  return {
    child,
    pid: child.pid,
    port: ports.ws,
    adminPort: ports.admin,
    url: `ws://127.0.0.1:${ports.ws}/ws`,
    log: text,
    signal(sig) {
      if (child.exitCode === null) process.kill(child.pid, sig);
    },
    exited() {
      return child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((r) => child.once("exit", r));
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try { process.kill(child.pid, "SIGCONT"); } catch { /* gone */ }
      child.kill("SIGKILL");
      await this.exited();
    },
    async metric(name) {
      const body = await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
      let sum = 0;
      for (const line of body.split("\n")) if (line.startsWith(name)) sum += Number(line.split(" ").pop());
      return sum;
    },
  };
}

/** Kills every child still running (use in after()). */
export async function stopAll() {
  const waits = [];
  for (const child of [...children]) {
    waits.push(new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r))));
    try { process.kill(child.pid, "SIGCONT"); } catch { /* gone */ }
    child.kill("SIGKILL");
  }
  await Promise.all(waits);
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** An HS256 JWT for `sub` expiring in `seconds`. */
export function token(sub, seconds, secret = SECRET) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: "HS256", typ: "JWT" });
  const body = b64({ sub, iat: now, exp: now + seconds });
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/**
 * Checks the produce-n records one app was handed: every (prefix, seq) once, offsets increasing per
 * Kafka key. `add(m)` takes a FanwireMessage (data {seq, k, p}) or a plain {key, offset, data}.
 */
export class RecordCheck {
  constructor() {
    this.seen = new Set();
    this.lastSeq = new Map();
    this.duplicates = 0;
    this.outOfOrder = 0;
    this.count = 0;
  }
  add(m) {
    const d = m.data;
    this.count++;
    const id = `${d.p}:${d.seq}`;
    if (this.seen.has(id)) this.duplicates++;
    this.seen.add(id);
    const offset = BigInt(m.offset);
    const last = this.lastSeq.get(m.key);
    if (last !== undefined && offset <= last) this.outOfOrder++;
    this.lastSeq.set(m.key, offset);
  }
  summary(prefixes) {
    const missing = prefixes.reduce((sum, [p, n]) => sum + this.missing(p, n), 0);
    return { delivered: this.count, missing, duplicates: this.duplicates, outOfOrder: this.outOfOrder };
  }
  missing(prefix, n) {
    let missing = 0;
    for (let i = 0; i < n; i++) if (!this.seen.has(`${prefix}:${i}`)) missing++;
    return missing;
  }
  has(prefix, n) {
    return this.missing(prefix, n) === 0;
  }
}

/** A TCP port free on 127.0.0.1 right now (for a node that must keep its address across a restart). */
export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}
