'use strict';
// Benchmark peer (b): Node's `ws` library fed by a kafkajs consumer, speaking the subset of
// fanwire.v1.proto that the benchmark swarm uses. See README.md.
//
//   PORT=8082 KAFKA_BOOTSTRAP=127.0.0.1:9092 TOPICS=quotes node ws-peer.js

const http = require('node:http');
const { WebSocketServer, WebSocket } = require('ws');
const {
  SUBPROTOCOL, WS_PATH, MAX_PENDING_BYTES, MAX_FRAME_BYTES,
  config, chooseSubprotocol, handleClientFrame, startConsumer,
} = require('./common');

const cfg = config();
console.error(`ws-peer: ws@${require('ws/package.json').version}, node ${process.version}`);

/** channel -> the sockets subscribed to it. */
const channels = new Map();
/** socket -> its channels, to clean up on close. */
const subscriptions = new Map();

function subscribe(ws, channel) {
  let subs = channels.get(channel);
  if (subs === undefined) channels.set(channel, subs = new Set());
  subs.add(ws);
  subscriptions.get(ws).add(channel);
}

function unsubscribe(ws, channel) {
  const subs = channels.get(channel);
  if (subs !== undefined && subs.delete(ws) && subs.size === 0) channels.delete(channel);
  subscriptions.get(ws)?.delete(channel);
}

function forget(ws) {
  const mine = subscriptions.get(ws);
  if (mine === undefined) return;
  for (const channel of mine) {
    const subs = channels.get(channel);
    if (subs !== undefined && subs.delete(ws) && subs.size === 0) channels.delete(channel);
  }
  subscriptions.delete(ws);
}

// compress: ignored by ws for a socket that did not negotiate permessage-deflate.
const SEND_OPTIONS = { binary: true, compress: cfg.compression };

// One frame per record, published to "TOPIC/KEY" and to "TOPIC": the same Buffer is sent to
// every subscriber (ws writes it without copying; it adds a 2–4 byte header per send).
function publish(channel, frame) {
  const subs = channels.get(channel);
  if (subs === undefined) return;
  for (const ws of subs) {
    // Slow client: more than Fanwire's ws.max.pending.bytes (16 MiB) queued -> drop it.
    if (ws.bufferedAmount > MAX_PENDING_BYTES) {
      forget(ws);
      ws.terminate();
      continue;
    }
    ws.send(frame, SEND_OPTIONS);
  }
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?', 1)[0];
  res.writeHead(path === WS_PATH ? 400 : 404, { 'content-type': 'text/plain' });
  res.end(path === WS_PATH ? 'WebSocket upgrade required\n' : '');
});
server.on('clientError', (err, socket) => { socket.destroy(); });

const wss = new WebSocketServer({
  noServer: true,
  maxPayload: MAX_FRAME_BYTES, // Fanwire ws.max.frame.bytes
  // COMPRESSION=on: permessage-deflate when the client offers it, each message compressed on its own
  // (server_no_context_takeover), for each socket separately, as ws does; messages below
  // COMPRESSION_MIN_BYTES go uncompressed.
  perMessageDeflate: cfg.compression
    ? { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: cfg.compressionMinBytes }
    : false,
  handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
});

server.on('upgrade', (req, socket, head) => {
  const path = req.url.split('?', 1)[0];
  let status = null;
  if (path !== WS_PATH) status = '404 Not Found';
  else if (chooseSubprotocol(req.headers['sec-websocket-protocol']) === null) status = '400 Bad Request';
  if (status !== null) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    subscriptions.set(ws, new Set());
    ws.isAlive = true;
    ws.on('error', () => {}); // e.g. a too-big frame: ws closes the socket itself
    ws.on('close', () => forget(ws));
    ws.on('pong', () => { ws.isAlive = true; });
    ws.on('message', (data, isBinary) => {
      ws.isAlive = true;
      if (!isBinary) return;
      const r = handleClientFrame(data);
      if (r.subscribe !== null) subscribe(ws, r.subscribe);
      if (r.unsubscribe !== null) unsubscribe(ws, r.unsubscribe);
      if (r.reply !== null) ws.send(r.reply, SEND_OPTIONS);
    });
  });
});

// Keepalive, the ws README way: ping every 30 s, drop a socket that answered nothing since the
// last ping (Fanwire: ping after 20 s of silence, close after 60 s).
const heartbeat = setInterval(() => {
  for (const ws of subscriptions.keys()) {
    if (!ws.isAlive) { forget(ws); ws.terminate(); continue; }
    ws.isAlive = false;
    ws.ping();
  }
}, 30_000);
heartbeat.unref();

let listening = false;
let consumerReady = false;
function maybeReady() {
  if (listening && consumerReady) process.stdout.write(`READY port=${cfg.port}\n`);
}

server.on('error', (e) => {
  console.error(`ws-peer: FATAL: ${e.message}`);
  process.exit(1);
});
server.listen(cfg.port, () => {
  listening = true;
  maybeReady();
});

let consumer = null;
startConsumer(cfg, publish, 'ws').then(({ consumer: c, ready }) => {
  consumer = c;
  return ready;
}).then(() => {
  consumerReady = true;
  maybeReady();
}).catch((e) => {
  console.error(`ws-peer: FATAL: kafka: ${e.stack ?? e}`);
  process.exit(1);
});

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`ws-peer: ${signal}: shutting down`);
  setTimeout(() => process.exit(0), 5000).unref(); // if the consumer does not leave in time
  server.close();
  for (const ws of subscriptions.keys()) {
    if (ws.readyState === WebSocket.OPEN) ws.close(1001, 'server shutting down');
  }
  try {
    if (consumer !== null) await consumer.disconnect();
  } catch (e) {
    console.error(`ws-peer: consumer disconnect: ${e}`);
  }
  process.exit(0);
}
process.on('SIGTERM', () => { shutdown('SIGTERM'); });
process.on('SIGINT', () => { shutdown('SIGINT'); });
