'use strict';
// Benchmark peer (a): uWebSockets.js (native) fed by a kafkajs consumer, speaking the subset of
// fanwire.v1.proto that the benchmark swarm uses. See README.md.
//
//   PORT=8081 KAFKA_BOOTSTRAP=127.0.0.1:9092 TOPICS=quotes node uws-peer.js

const path = require('node:path');
const {
  SUBPROTOCOL, WS_PATH, MAX_PENDING_BYTES, MAX_FRAME_BYTES,
  config, chooseSubprotocol, handleClientFrame, startConsumer,
} = require('./common');

const PKG = '@trufflesuite/uws-js-unofficial';

/**
 * The package's entry (src/uws.js) requires binaries/uws_<platform>_<arch>_<ABI>.node and, if that
 * throws (or UWS_USE_FALLBACK is set), silently returns its pure-JS, ws-based fallback (dist/index.js)
 * instead. A benchmark of the fallback would be a benchmark of `ws`, so insist on the native module:
 * it must be the module the package returned, loaded from that .node file.
 */
function loadNativeUws() {
  const dir = path.dirname(require.resolve(`${PKG}/package.json`));
  const binary = path.join(dir, 'binaries',
    `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  const uws = require(PKG);
  const native = require.cache[binary];
  const fallback = require.cache[path.join(dir, 'dist', 'index.js')];
  if (native === undefined || native.exports !== uws || fallback !== undefined) {
    console.error(`uws-peer: FATAL: ${PKG} did not load its native binary ${binary}` +
      ` (node ${process.version}, ABI ${process.versions.modules}); it fell back to its pure-JS` +
      ' implementation, which would not measure uWebSockets.' +
      (process.env.UWS_USE_FALLBACK ? ' UWS_USE_FALLBACK is set: unset it.' : ''));
    process.exit(3);
  }
  const version = require(`${PKG}/package.json`).version;
  console.error(`uws-peer: native uWebSockets.js loaded: ${PKG}@${version} ${path.relative(dir, binary)}`);
  return uws;
}

const uws = loadNativeUws();
const cfg = config();
const sockets = new Set();
let listenSocket = null;

const app = uws.App().ws(WS_PATH, {
  // COMPRESSION=on: one compressor shared by all sockets, no context kept between messages, so uWS
  // answers a client's offer with server_no_context_takeover. COMPRESSION_MIN_BYTES does not apply.
  compression: cfg.compression ? uws.SHARED_COMPRESSOR : uws.DISABLED,
  maxPayloadLength: MAX_FRAME_BYTES, // Fanwire ws.max.frame.bytes
  idleTimeout: 60, // seconds; Fanwire ws.idle.timeout.ms=60000
  sendPingsAutomatically: true,
  // Slow clients: uWS skips (drops) messages to a socket whose buffered amount exceeds
  // maxBackpressure and, with closeOnBackpressureLimit, closes it. Fanwire: ws.max.pending.bytes=16 MiB, close.
  maxBackpressure: MAX_PENDING_BYTES,
  closeOnBackpressureLimit: true,

  upgrade: (res, req, context) => {
    const protocol = chooseSubprotocol(req.getHeader('sec-websocket-protocol'));
    if (protocol === null) {
      res.writeStatus('400 Bad Request').end(`offer the ${SUBPROTOCOL} subprotocol\n`);
      return;
    }
    res.upgrade({},
      req.getHeader('sec-websocket-key'),
      protocol,
      req.getHeader('sec-websocket-extensions'),
      context);
  },
  open: (ws) => { sockets.add(ws); },
  close: (ws) => { sockets.delete(ws); },
  message: (ws, message, isBinary) => {
    if (!isBinary) return;
    // `message` is only valid during this call; handleClientFrame reads it synchronously.
    const r = handleClientFrame(new Uint8Array(message));
    if (r.subscribe !== null) ws.subscribe(r.subscribe);
    if (r.unsubscribe !== null) ws.unsubscribe(r.unsubscribe);
    if (r.reply !== null) ws.send(r.reply, true);
  },
}).any('/*', (res) => {
  res.writeStatus('404 Not Found').end();
});

let listening = false;
let consumerReady = false;
function maybeReady() {
  if (listening && consumerReady) process.stdout.write(`READY port=${cfg.port}\n`);
}

app.listen(cfg.port, (token) => {
  if (!token) {
    console.error(`uws-peer: FATAL: cannot listen on port ${cfg.port}`);
    process.exit(1);
  }
  listenSocket = token;
  listening = true;
  maybeReady();
});

// One frame per record, published to "TOPIC/KEY" and to "TOPIC"; uWS copies it into its topic
// tree and writes it to every subscriber of that topic.
const publish = (channel, frame) => { app.publish(channel, frame, true, cfg.compression); };

let consumer = null;
startConsumer(cfg, publish, 'uws').then(({ consumer: c, ready }) => {
  consumer = c;
  return ready;
}).then(() => {
  consumerReady = true;
  maybeReady();
}).catch((e) => {
  console.error(`uws-peer: FATAL: kafka: ${e.stack ?? e}`);
  process.exit(1);
});

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`uws-peer: ${signal}: shutting down`);
  setTimeout(() => process.exit(0), 5000).unref(); // if the consumer does not leave in time
  if (listenSocket !== null) uws.us_listen_socket_close(listenSocket);
  for (const ws of [...sockets]) ws.end(1001, 'server shutting down');
  try {
    if (consumer !== null) await consumer.disconnect();
  } catch (e) {
    console.error(`uws-peer: consumer disconnect: ${e}`);
  }
  process.exit(0);
}
process.on('SIGTERM', () => { shutdown('SIGTERM'); });
process.on('SIGINT', () => { shutdown('SIGINT'); });
