'use strict';
// Shared by uws-peer.js and ws-peer.js: configuration, the kafkajs consumer, and the few
// fanwire.v1 protobuf messages the benchmark swarm uses, encoded by hand (proto3 binary
// encoding; see protocol/src/main/proto/fanwire/v1/fanwire.proto).

const crypto = require('node:crypto');
const { Kafka, logLevel } = require('kafkajs');

const SUBPROTOCOL = 'fanwire.v1.proto';
const WS_PATH = '/ws';
// Fanwire's ws.max.pending.bytes and ws.max.frame.bytes defaults.
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const MAX_FRAME_BYTES = 64 * 1024;

function config() {
  const port = Number.parseInt(process.env.PORT ?? '', 10);
  const bootstrap = (process.env.KAFKA_BOOTSTRAP ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const topics = (process.env.TOPICS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  // permessage-deflate, negotiated when a client offers it (RFC 7692); off unless COMPRESSION=on.
  const compression = (process.env.COMPRESSION ?? 'off') === 'on';
  const compressionMinBytes = Number.parseInt(process.env.COMPRESSION_MIN_BYTES ?? '0', 10);
  const problems = [];
  if (!(port > 0 && port < 65536)) problems.push('PORT must be a TCP port number');
  if (bootstrap.length === 0) problems.push('KAFKA_BOOTSTRAP must be host:port[,host:port...]');
  if (topics.length === 0) problems.push('TOPICS must be a comma-separated list of topics');
  if (!['on', 'off', undefined].includes(process.env.COMPRESSION)) problems.push('COMPRESSION must be on or off');
  if (!(compressionMinBytes >= 0)) problems.push('COMPRESSION_MIN_BYTES must be a number of bytes');
  if (problems.length > 0) {
    console.error(`usage: PORT=8080 KAFKA_BOOTSTRAP=127.0.0.1:9092 TOPICS=quotes,trades node ${process.argv[1]}`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(2);
  }
  return { port, bootstrap, topics, compression, compressionMinBytes };
}

/** The subprotocol to answer with, or null: fanwire.v1.proto if the client offered it. */
function chooseSubprotocol(header) {
  if (!header) return null;
  for (const name of header.split(',')) {
    if (name.trim() === SUBPROTOCOL) return SUBPROTOCOL;
  }
  return null;
}

// ---------------------------------------------------------------- protobuf, by hand

function varintSize(v) { // v: non-negative integer Number (< 2^53)
  let n = 1;
  while (v >= 128) { v = Math.floor(v / 128); n++; }
  return n;
}

function writeVarint(buf, pos, v) {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

// int64 fields (offset, timestamp): Kafka gives them as decimal strings. Negative values
// (timestamp -1) take the 10-byte two's complement form, as protobuf writes them.
function int64Varint(str) {
  const n = Number(str);
  if (n >= 0 && Number.isSafeInteger(n)) return n;
  let b = BigInt.asUintN(64, BigInt(str));
  const bytes = [];
  while (b >= 128n) { bytes.push(Number(b & 127n) | 128); b >>= 7n; }
  bytes.push(Number(b));
  return Buffer.from(bytes);
}

function int64Size(v) { return typeof v === 'number' ? varintSize(v) : v.length; }
function writeInt64(buf, pos, v) {
  if (typeof v === 'number') return writeVarint(buf, pos, v);
  v.copy(buf, pos);
  return pos + v.length;
}

function lenFieldSize(len) { return 1 + varintSize(len) + len; }

/**
 * ServerFrame{ message { channel, key, payload, partition, offset, timestamp, headers } } for one
 * kafkajs record, as Fanwire's ServerFrames.message builds it: a null or empty key is keyless
 * (channel = TOPIC, no key); default values (0, empty) are omitted; header values as UTF-8 text,
 * the last value of a repeated name wins.
 * `topicBytes` is Buffer.from(topic). `keyStr` is the key as UTF-8 text or null (keyless).
 */
function encodeMessage(topicBytes, keyStr, record, partition) {
  const keyLen = keyStr === null ? 0 : Buffer.byteLength(keyStr);
  const channelLen = keyStr === null ? topicBytes.length : topicBytes.length + 1 + keyLen;
  const value = record.value;
  const payloadLen = value === null ? 0 : value.length;
  const offset = int64Varint(record.offset);
  const timestamp = int64Varint(record.timestamp);

  let size = lenFieldSize(channelLen);
  if (keyLen > 0) size += lenFieldSize(keyLen);
  if (payloadLen > 0) size += lenFieldSize(payloadLen);
  if (partition !== 0) size += 1 + varintSize(partition);
  if (offset !== 0) size += 1 + int64Size(offset);
  if (timestamp !== 0) size += 1 + int64Size(timestamp);
  let headers = null;
  const h = record.headers;
  if (h) {
    for (const name in h) {
      let v = h[name];
      if (Array.isArray(v)) v = v[v.length - 1];
      const nameLen = Buffer.byteLength(name);
      const valueStr = v == null ? '' : v.toString(); // Buffer -> UTF-8 text, as Fanwire decodes it
      const valueLen = Buffer.byteLength(valueStr);
      // protobuf-java writes both fields of a map entry, even when empty; so do we.
      const entryLen = lenFieldSize(nameLen) + lenFieldSize(valueLen);
      (headers ??= []).push(name, nameLen, valueStr, valueLen, entryLen);
      size += lenFieldSize(entryLen);
    }
  }

  const buf = Buffer.allocUnsafe(lenFieldSize(size));
  let p = 0;
  buf[p++] = 0x12; // ServerFrame.message (2, length-delimited)
  p = writeVarint(buf, p, size);
  buf[p++] = 0x0a; // channel (1)
  p = writeVarint(buf, p, channelLen);
  p += topicBytes.copy(buf, p);
  if (keyStr !== null) {
    buf[p++] = 0x2f; // '/'
    p += buf.write(keyStr, p, keyLen, 'utf8');
    buf[p++] = 0x12; // key (2)
    p = writeVarint(buf, p, keyLen);
    p += buf.write(keyStr, p, keyLen, 'utf8');
  }
  if (payloadLen > 0) {
    buf[p++] = 0x1a; // payload (3)
    p = writeVarint(buf, p, payloadLen);
    p += value.copy(buf, p);
  }
  if (partition !== 0) { buf[p++] = 0x20; p = writeVarint(buf, p, partition); } // partition (4)
  if (offset !== 0) { buf[p++] = 0x28; p = writeInt64(buf, p, offset); } // offset (5)
  if (timestamp !== 0) { buf[p++] = 0x30; p = writeInt64(buf, p, timestamp); } // timestamp (6)
  if (headers !== null) {
    for (let i = 0; i < headers.length; i += 5) {
      buf[p++] = 0x42; // headers (8): map entry { key 1, value 2 }
      p = writeVarint(buf, p, headers[i + 4]);
      buf[p++] = 0x0a; p = writeVarint(buf, p, headers[i + 1]); p += buf.write(headers[i], p, 'utf8');
      buf[p++] = 0x12; p = writeVarint(buf, p, headers[i + 3]); p += buf.write(headers[i + 2], p, 'utf8');
    }
  }
  if (p !== buf.length) throw new Error(`encodeMessage: wrote ${p} of ${buf.length} bytes`);
  return buf;
}

function bigVarint(b) { // BigInt >= 0
  const bytes = [];
  while (b >= 128n) { bytes.push(Number(b & 127n) | 128); b >>= 7n; }
  bytes.push(Number(b));
  return bytes;
}

/** ServerFrame{ reply { id, <result> {} } }; result 2 = ok, 3 = subscribed. */
function encodeReply(id, resultField) {
  const reply = [];
  if (id !== 0n) reply.push(0x08, ...bigVarint(id));
  reply.push((resultField << 3) | 2, 0x00);
  return Buffer.from([0x0a, reply.length, ...reply]); // a reply is < 128 bytes
}
const REPLY_OK = 2;
const REPLY_SUBSCRIBED = 3;

class Reader {
  constructor(bytes) { this.b = bytes; this.p = 0; }
  done() { return this.p >= this.b.length; }
  varint() { // as BigInt (uint64)
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.p >= this.b.length) throw new Error('truncated varint');
      const byte = this.b[this.p++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new Error('varint too long');
  }
  bytes() {
    const len = Number(this.varint());
    if (this.p + len > this.b.length) throw new Error('truncated field');
    const s = this.b.subarray(this.p, this.p + len);
    this.p += len;
    return s;
  }
  skip(wireType) {
    switch (wireType) {
      case 0: this.varint(); break;
      case 1: this.p += 8; break;
      case 2: this.bytes(); break;
      case 5: this.p += 4; break;
      default: throw new Error(`unsupported wire type ${wireType}`);
    }
    if (this.p > this.b.length) throw new Error('truncated field');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeChannel(bytes) { // Subscribe / Unsubscribe { string channel = 1; ... }
  const r = new Reader(bytes);
  let channel = '';
  while (!r.done()) {
    const tag = Number(r.varint());
    if (tag === 0x0a) channel = utf8.decode(r.bytes());
    else r.skip(tag & 7);
  }
  return channel;
}

const KINDS = { 2: 'subscribe', 3: 'unsubscribe', 4: 'publish', 5: 'ping', 6: 'refresh' };

/**
 * A binary ClientFrame -> { id: BigInt, kind: 'subscribe'|'unsubscribe'|'ping'|...|null, channel }.
 * Throws on undecodable input. `bytes` is a Uint8Array (copied from nothing; read synchronously).
 */
function decodeClientFrame(bytes) {
  const r = new Reader(bytes);
  let id = 0n;
  let kind = null;
  let channel = null;
  while (!r.done()) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    if (tag === 0x08) {
      id = r.varint();
    } else if ((tag & 7) === 2 && KINDS[field] !== undefined) {
      const body = r.bytes();
      kind = KINDS[field];
      channel = field === 2 || field === 3 ? decodeChannel(body) : null;
    } else {
      r.skip(tag & 7);
    }
  }
  return { id, kind, channel };
}

/**
 * The reply for one client frame, and the subscription change the caller must make:
 * { reply: Buffer|null, subscribe: string|null, unsubscribe: string|null }.
 * Subscribe -> subscribed; Unsubscribe, Ping -> ok; anything else (or undecodable) -> nothing.
 */
function handleClientFrame(bytes) {
  let frame;
  try {
    frame = decodeClientFrame(bytes);
  } catch {
    return { reply: null, subscribe: null, unsubscribe: null };
  }
  switch (frame.kind) {
    case 'subscribe':
      if (frame.channel) return { reply: encodeReply(frame.id, REPLY_SUBSCRIBED), subscribe: frame.channel, unsubscribe: null };
      break;
    case 'unsubscribe':
      return { reply: encodeReply(frame.id, REPLY_OK), subscribe: null, unsubscribe: frame.channel || null };
    case 'ping':
      return { reply: encodeReply(frame.id, REPLY_OK), subscribe: null, unsubscribe: null };
    default:
      break;
  }
  return { reply: null, subscribe: null, unsubscribe: null };
}

// ---------------------------------------------------------------- Kafka

/**
 * Starts a kafkajs consumer over every partition of `topics`, live data only, and calls
 * publish(channel, frameBytes) twice per record: for "TOPIC/KEY" and for "TOPIC" (keyless
 * records: once, for "TOPIC"). The frame is built once per record.
 * Resolves with { consumer, ready } where `ready` resolves after the group was joined and the
 * first fetch completed (offsets resolved to the live end).
 */
async function startConsumer({ bootstrap, topics }, publish, name) {
  const kafka = new Kafka({
    clientId: `fanwire-peer-${name}`,
    brokers: bootstrap,
    logLevel: logLevel.WARN,
  });
  const consumer = kafka.consumer({
    // kafkajs needs a group; a fresh one per start so that it starts at the live end
    // (no committed offsets) and never shares partitions with another process.
    groupId: `fanwire-peer-${name}-${process.pid}-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 100, // Fanwire: fetch.max.wait.ms=100
    allowAutoTopicCreation: false,
  });

  let joined = false;
  let resolveReady;
  const ready = new Promise((resolve) => { resolveReady = resolve; });
  consumer.on(consumer.events.GROUP_JOIN, () => { joined = true; });
  consumer.on(consumer.events.FETCH, () => { if (joined) resolveReady(); });
  consumer.on(consumer.events.CRASH, (e) => {
    console.error(`kafka consumer crashed: ${e.payload.error}${e.payload.restart ? ' (restarting)' : ''}`);
    if (!e.payload.restart) process.exit(1); // a peer without data must not look healthy
  });

  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: false });

  const topicBytes = new Map(topics.map((t) => [t, Buffer.from(t)]));
  await consumer.run({
    autoCommit: false, // Fanwire commits nothing either; positions are kept in memory
    eachBatch: async ({ batch }) => {
      const topic = batch.topic;
      const tBytes = topicBytes.get(topic);
      const partition = batch.partition;
      for (const record of batch.messages) {
        const key = record.key;
        const keyStr = key === null || key.length === 0 ? null : key.toString('utf8');
        const frame = encodeMessage(tBytes, keyStr, record, partition);
        if (keyStr !== null) publish(`${topic}/${keyStr}`, frame);
        publish(topic, frame);
      }
      // eachBatchAutoResolve (default true) marks the whole batch consumed.
    },
  });
  return { consumer, ready };
}

module.exports = {
  SUBPROTOCOL,
  WS_PATH,
  MAX_PENDING_BYTES,
  MAX_FRAME_BYTES,
  config,
  chooseSubprotocol,
  encodeMessage,
  encodeReply,
  decodeClientFrame,
  handleClientFrame,
  startConsumer,
};
