// Smoke test: the peers speak the benchmark's subset of fanwire.v1.proto exactly as Fanwire does.
//
//   node smoke-test.mjs [--host 127.0.0.1] [--seconds 5] [--topic quotes] [--key AAPL]
//                       [--slow-consumer KAFKA_BOOTSTRAP] FANWIRE_PORT PEER_PORT...
//
// FANWIRE_PORT is a running Fanwire gateway (the reference); each PEER_PORT a running peer.
// All must serve the same topic, which must receive live keyed records (e.g. Fanwire --dev's
// demo feed: 100 quotes/s keyed by symbol). Frames are decoded with protobufjs from
// protocol/src/main/proto/fanwire/v1/fanwire.proto, independently of the peers' hand encoder.
//
// Checks, for every server: the subprotocol echo; byte-exact replies to Subscribe / Unsubscribe;
// that "TOPIC" and "TOPIC/KEY" subscribers get their records with the fields Fanwire sends, in
// per-partition offset order; nothing after an unsubscribe's ok; no 404/400 surprises; and, across
// servers, that the same Kafka records (same partition and offset) arrive as BYTE-IDENTICAL frames,
// with no record missing in the window all servers watched.
// --slow-consumer BOOTSTRAP: also check that a client that stops reading is disconnected once more
// than 16 MiB are pending (produces ~40 MiB of 64 KiB records with key SMOKE-SLOW to the topic).
// Exits 0 when all checks pass.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import http from 'node:http';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const protobuf = require('protobufjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const PROTO = path.resolve(here, '../../protocol/src/main/proto/fanwire/v1/fanwire.proto');
const SUBPROTOCOL = 'fanwire.v1.proto';

// ---------------------------------------------------------------- arguments
const opts = { host: '127.0.0.1', seconds: 5, topic: 'quotes', key: 'AAPL', slow: null };
const ports = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--host') opts.host = argv[++i];
  else if (a === '--seconds') opts.seconds = Number(argv[++i]);
  else if (a === '--topic') opts.topic = argv[++i];
  else if (a === '--key') opts.key = argv[++i];
  else if (a === '--slow-consumer') opts.slow = argv[++i];
  else if (/^\d+$/.test(a)) ports.push(Number(a));
  else { console.error(`unknown argument ${a}`); process.exit(2); }
}
if (ports.length < 2) {
  console.error('usage: node smoke-test.mjs [--seconds 5] [--topic quotes] [--key AAPL] ' +
    '[--slow-consumer KAFKA_BOOTSTRAP] FANWIRE_PORT PEER_PORT...');
  process.exit(2);
}

const root = await protobuf.load(PROTO);
const ClientFrame = root.lookupType('fanwire.v1.ClientFrame');
const ServerFrame = root.lookupType('fanwire.v1.ServerFrame');
const toObject = (m) => ServerFrame.toObject(m, { longs: String, bytes: Buffer });

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  return ok;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (b) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');
const clientFrame = (obj) => Buffer.from(ClientFrame.encode(ClientFrame.fromObject(obj)).finish());
const name = (port, i) => (i === 0 ? `fanwire:${port}` : `peer:${port}`);

// ---------------------------------------------------------------- a client
function connect(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${opts.host}:${port}/ws`, [SUBPROTOCOL]);
    const c = { ws, frames: [], closed: null };
    ws.on('message', (data, isBinary) => { c.frames.push({ data: Buffer.from(data), isBinary, at: Date.now() }); });
    ws.on('close', (code) => { c.closed = code; });
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
  });
}

/** Sends a ClientFrame and waits for the Reply with its id; returns [raw bytes, decoded reply]. */
async function request(c, obj, timeoutMs = 5000) {
  const from = c.frames.length;
  c.ws.send(clientFrame(obj));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (let i = from; i < c.frames.length; i++) {
      const f = toObject(ServerFrame.decode(c.frames[i].data));
      if (f.reply && String(f.reply.id ?? '0') === String(obj.id)) return [c.frames[i], f.reply, i];
    }
    await sleep(10);
  }
  return [null, null, -1];
}

function messagesOf(c, fromIndex = 0) {
  const out = [];
  for (let i = fromIndex; i < c.frames.length; i++) {
    const o = toObject(ServerFrame.decode(c.frames[i].data));
    if (o.message) out.push({ raw: c.frames[i].data, m: o.message, isBinary: c.frames[i].isBinary, index: i });
  }
  return out;
}

function httpStatus(port, pathName, headers = {}) {
  return new Promise((resolve) => {
    const req = http.get({ host: opts.host, port, path: pathName, headers }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('error', (e) => resolve(`error ${e.code}`));
  });
}

// ---------------------------------------------------------------- per-server checks
const topic = opts.topic;
const keyChannel = `${topic}/${opts.key}`;
const servers = [];

for (const [i, port] of ports.entries()) {
  const who = name(port, i);
  const s = { port, who };
  servers.push(s);
  // Handshake
  const a = await connect(port);
  check(a.ws.protocol === SUBPROTOCOL, `${who}: handshake echoes Sec-WebSocket-Protocol ${SUBPROTOCOL} (got "${a.ws.protocol}")`);
  const b = await connect(port);
  // Subscribe replies, byte-exact (PROTOCOL.md §9.2: 0a 04 08 01 1a 00)
  const [ra] = await request(a, { id: 1, subscribe: { channel: topic } });
  check(ra !== null && ra.isBinary && hex(ra.data) === '0a 04 08 01 1a 00',
    `${who}: Subscribe{${topic}} id 1 -> ${ra ? hex(ra.data) : 'no reply'} (want 0a 04 08 01 1a 00)`);
  const [rb] = await request(b, { id: 300, subscribe: { channel: keyChannel } });
  check(rb !== null && hex(rb.data) === '0a 05 08 ac 02 1a 00',
    `${who}: Subscribe{${keyChannel}} id 300 -> ${rb ? hex(rb.data) : 'no reply'} (want 0a 05 08 ac 02 1a 00)`);
  s.a = a;
  s.b = b;
  s.aFrom = a.frames.length;
  s.bFrom = b.frames.length;
}

console.log(`.... collecting ${opts.seconds} s of live records from ${servers.length} servers`);
await sleep(opts.seconds * 1000);

// Unsubscribe on every server's A: ok reply, then nothing more.
for (const s of servers) {
  const [ru, , idx] = await request(s.a, { id: 2, unsubscribe: { channel: topic } });
  check(ru !== null && hex(ru.data) === '0a 04 08 02 12 00',
    `${s.who}: Unsubscribe{${topic}} id 2 -> ${ru ? hex(ru.data) : 'no reply'} (want 0a 04 08 02 12 00)`);
  s.unsubAt = idx;
}
await sleep(1000);
for (const s of servers) {
  const after = s.unsubAt >= 0 ? messagesOf(s.a, s.unsubAt + 1).length : -1;
  check(after === 0, `${s.who}: no Message after the Unsubscribe's ok (got ${after} in 1 s)`);
  const [rp] = await request(s.a, { id: 4, ping: {} });
  check(rp !== null && hex(rp.data) === '0a 04 08 04 12 00',
    `${s.who}: Ping id 4 -> ${rp ? hex(rp.data) : 'no reply'} (want 0a 04 08 04 12 00)`);
}

for (const s of servers) {
  // the "TOPIC" subscriber's Messages up to its Unsubscribe's ok
  s.topicMsgs = messagesOf(s.a, s.aFrom).filter((x) => s.unsubAt < 0 || x.index < s.unsubAt);
  s.keyMsgs = messagesOf(s.b, s.bFrom);
  const tm = s.topicMsgs;
  const km = s.keyMsgs;
  const rate = (tm.length / opts.seconds).toFixed(0);
  check(tm.length > 0, `${s.who}: "${topic}" subscriber got ${tm.length} Messages (${rate}/s)`);
  check(km.length > 0, `${s.who}: "${keyChannel}" subscriber got ${km.length} Messages`);
  check(tm.every((x) => x.isBinary) && km.every((x) => x.isBinary), `${s.who}: all frames are binary`);
  const badTopic = tm.filter(({ m }) => (m.key ? m.channel !== `${topic}/${m.key}` : m.channel !== topic));
  check(badTopic.length === 0, `${s.who}: "${topic}" Messages carry channel TOPIC/KEY (keyed) or TOPIC (keyless) (${badTopic.length} bad)`);
  const badKey = km.filter(({ m }) => m.channel !== keyChannel || m.key !== opts.key);
  check(badKey.length === 0, `${s.who}: "${keyChannel}" Messages all have channel ${keyChannel}, key ${opts.key} (${badKey.length} bad)`);
  const now = Date.now();
  const badFields = tm.filter(({ m }) => !(typeof m.partition === 'number' || m.partition === undefined)
    || !(Number(m.offset ?? 0) >= 0) || !(Math.abs(Number(m.timestamp) - now) < 600_000)
    || !(m.payload && m.payload.length > 0) || m.snapshot);
  check(badFields.length === 0, `${s.who}: partition/offset/timestamp/payload present and plausible, snapshot unset (${badFields.length} bad)`);
  // order per partition
  let disorder = 0;
  const last = new Map();
  for (const { m } of tm) {
    const p = m.partition ?? 0;
    const o = BigInt(m.offset ?? 0);
    if (last.has(p) && o <= last.get(p)) disorder++;
    last.set(p, o);
  }
  check(disorder === 0, `${s.who}: offsets increase within each partition (${disorder} out of order)`);
  // every key-subscriber record also reached the topic subscriber, byte-identical
  const byPos = new Map(tm.map((x) => [`${x.m.partition ?? 0}:${x.m.offset ?? 0}`, x.raw]));
  const inWindow = km.filter((x) => byPos.has(`${x.m.partition ?? 0}:${x.m.offset ?? 0}`));
  const sameBytes = inWindow.every((x) => byPos.get(`${x.m.partition ?? 0}:${x.m.offset ?? 0}`).equals(x.raw));
  check(inWindow.length > 0 && sameBytes,
    `${s.who}: "${keyChannel}" records equal the "${topic}" subscriber's frames byte for byte (${inWindow.length} compared)`);
  s.byPos = byPos;
  s.example = tm.find((x) => x.m.key === opts.key) ?? tm[0];
}

// ---------------------------------------------------------------- across servers
const ref = servers[0];
const refEx = ref.example;
if (refEx) {
  console.log(`.... example from ${ref.who}: ${JSON.stringify({ ...refEx.m, payload: refEx.m.payload?.toString() })}`);
  console.log(`.... bytes: ${hex(refEx.raw.subarray(0, 48))}${refEx.raw.length > 48 ? ' …' : ''}`);
}
for (const s of servers.slice(1)) {
  // per partition, the offsets window both servers watched entirely
  const windowOf = (srv) => {
    const w = new Map();
    for (const { m } of srv.topicMsgs) {
      const p = m.partition ?? 0;
      const o = BigInt(m.offset ?? 0);
      const cur = w.get(p);
      if (!cur) w.set(p, [o, o]); else { if (o < cur[0]) cur[0] = o; if (o > cur[1]) cur[1] = o; }
    }
    return w;
  };
  const wr = windowOf(ref);
  const ws = windowOf(s);
  let compared = 0;
  let differ = 0;
  let missing = 0;
  let firstDiff = null;
  for (const [p, [rlo, rhi]] of wr) {
    const sw = ws.get(p);
    if (!sw) continue;
    const lo = rlo > sw[0] ? rlo : sw[0];
    const hi = rhi < sw[1] ? rhi : sw[1];
    for (let o = lo; o <= hi; o++) {
      const a = ref.byPos.get(`${p}:${o}`);
      const b = s.byPos.get(`${p}:${o}`);
      if (!a && !b) continue; // not in the topic (e.g. a transaction marker) — neither saw it
      if (!a || !b) { missing++; continue; }
      compared++;
      if (!a.equals(b)) { differ++; firstDiff ??= [p, o, a, b]; }
    }
  }
  check(compared > 0 && differ === 0,
    `${s.who} vs ${ref.who}: ${compared} common records, ${differ} frames differ in bytes`);
  if (firstDiff) {
    const [p, o, a, b] = firstDiff;
    console.log(`     first difference at partition ${p} offset ${o}:\n       ${ref.who}: ${hex(a)}\n       ${s.who}: ${hex(b)}`);
  }
  check(missing === 0, `${s.who} vs ${ref.who}: no record missing on either side inside the common window (${missing} missing)`);
}

// HTTP answers for the parts of PROTOCOL.md §1.2 the peers implement
for (const s of servers) {
  const wrongPath = await httpStatus(s.port, '/nope', {
    Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': SUBPROTOCOL,
  });
  check(wrongPath === 404, `${s.who}: upgrade on another path -> ${wrongPath} (want 404)`);
  const wrongProto = await httpStatus(s.port, '/ws', {
    Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'chat',
  });
  check(wrongProto === 400, `${s.who}: only unsupported subprotocols offered -> ${wrongProto} (want 400)`);
}

for (const s of servers) { s.a.ws.terminate(); s.b.ws.terminate(); }

// ---------------------------------------------------------------- slow consumer
if (opts.slow) {
  const { Kafka, logLevel, Partitioners } = require('kafkajs');
  const SLOW_KEY = 'SMOKE-SLOW';
  const RECORD = 64 * 1024;
  const UNDER = 160; // 10 MiB: under 16 MiB pending even before the kernel's socket buffers take a share
  const OVER = 640; // 40 MiB more: past 16 MiB pending plus the kernel's socket buffers
  const kafka = new Kafka({ clientId: 'fanwire-smoke', brokers: opts.slow.split(','), logLevel: logLevel.WARN });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = Buffer.alloc(RECORD, 0x61);
  const produce = async (count) => {
    console.log(`.... producing ${count} x ${RECORD / 1024} KiB records keyed ${SLOW_KEY} to ${topic}`);
    for (let n = 0; n < count; n += 8) { // one key, one partition: keep each request under 1 MB
      await producer.send({ topic, acks: 1, messages: Array.from({ length: 8 }, () => ({ key: SLOW_KEY, value })) });
    }
  };
  const slow = [];
  for (const [i, port] of ports.entries()) {
    const c = await connect(port);
    const [r] = await request(c, { id: 1, subscribe: { channel: `${topic}/${SLOW_KEY}` } });
    check(r !== null, `${name(port, i)}: stalled client subscribed to ${topic}/${SLOW_KEY}`);
    c.ws.pause(); // stop reading: the TCP window closes, the server's queue grows
    slow.push({ c, who: name(port, i) });
  }
  // Control: 10 MiB while stalled is under the limit: kept, and everything arrives after resuming.
  await produce(UNDER);
  await sleep(3000);
  for (const { c } of slow) c.ws.resume();
  for (let t = 0; t < 100 && slow.some(({ c }) => messagesOf(c).length < UNDER); t++) await sleep(100);
  for (const { c, who } of slow) {
    const got = messagesOf(c).length;
    check(c.closed === null && got === UNDER,
      `${who}: client stalled while 10 MiB were sent stays connected and gets all (${got} of ${UNDER})`);
    c.ws.pause();
  }
  // 40 MiB while stalled: the server must give up on the client.
  await produce(OVER);
  await producer.disconnect();
  await sleep(5000);
  for (const { c } of slow) c.ws.resume();
  await sleep(5000);
  for (const { c, who } of slow) {
    const got = messagesOf(c).length - UNDER;
    check(c.closed !== null && got < OVER,
      `${who}: client stalled while 40 MiB were sent was disconnected (close ${c.closed}) after ${got} of ${OVER} records`);
    c.ws.terminate();
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
