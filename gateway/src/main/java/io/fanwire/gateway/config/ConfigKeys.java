package io.fanwire.gateway.config;

import static io.fanwire.gateway.config.ConfigKey.Type.BOOLEAN;
import static io.fanwire.gateway.config.ConfigKey.Type.INT;
import static io.fanwire.gateway.config.ConfigKey.Type.LIST;
import static io.fanwire.gateway.config.ConfigKey.Type.LONG;
import static io.fanwire.gateway.config.ConfigKey.Type.STRING;

import java.util.List;

/**
 * The catalog of every configuration key: name, type, default, range and documentation. Keys that start
 * with {@value #KAFKA_PREFIX} are not listed here: they pass through, prefix removed, to the Kafka clients
 * (for example {@code kafka.bootstrap.servers}).
 *
 * <p>{@code docs/configuration.md} is generated from this class ({@link ConfigReference}); a test fails
 * when the two disagree.
 */
public final class ConfigKeys {

    /** Keys with this prefix are Kafka client properties. */
    public static final String KAFKA_PREFIX = "kafka.";
    /** The Kafka property that names the brokers; when it is unset, dev mode (only fanwire-dev.jar has it). */
    public static final String KAFKA_BOOTSTRAP = KAFKA_PREFIX + "bootstrap.servers";

    private static final int MAX_PORT = 65_535;

    public static final ConfigKey DEV = ConfigKey.of("dev", BOOLEAN, null,
            "Start an embedded Kafka broker, create the demo topics and run the demo feed: only the dev jar "
                    + "(dev/target/fanwire-dev.jar) can; the production jar refuses to start without "
                    + "kafka.bootstrap.servers. Default: true when kafka.bootstrap.servers is unset, false otherwise.");
    public static final ConfigKey TOPICS = ConfigKey.of("topics", LIST, null,
            "The Kafka topics this gateway serves, comma-separated. Clients can subscribe to these only. "
                    + "Default: quotes,trades,inbox in dev mode; required otherwise.");
    public static final ConfigKey PORT = ConfigKey.ranged("port", INT, "8080", 0, MAX_PORT,
            "TCP port of the WebSocket (and demo page) listener. 0 picks a free port.");
    public static final ConfigKey BIND_ADDRESS = ConfigKey.of("bind.address", STRING, "0.0.0.0",
            "Address the WebSocket listener binds to.");
    public static final ConfigKey WS_PATH = ConfigKey.of("ws.path", STRING, "/ws",
            "HTTP path of the WebSocket endpoint.");
    public static final ConfigKey WS_MAX_FRAME_BYTES = ConfigKey.ranged("ws.max.frame.bytes", INT, "65536",
            125, 16 << 20,
            "Largest client message accepted, in bytes, after reassembling fragments. A larger one closes "
                    + "the connection with status 1009.");
    public static final ConfigKey WS_MAX_CHANNEL_LENGTH = ConfigKey.ranged("ws.max.channel.length", INT, "256",
            1, 65_536, "Longest channel name accepted in a request, in characters.");
    public static final ConfigKey WS_MAX_SUBSCRIPTIONS = ConfigKey.ranged("ws.max.subscriptions", INT, "1000",
            1, Integer.MAX_VALUE, "Most subscriptions one connection may hold; more get LIMIT_EXCEEDED.");
    public static final ConfigKey WS_IDLE_TIMEOUT_MS = ConfigKey.ranged("ws.idle.timeout.ms", LONG, "60000",
            1_000, Long.MAX_VALUE,
            "A connection from which nothing was received for this long is closed with status 1001.");
    public static final ConfigKey WS_PING_INTERVAL_MS = ConfigKey.ranged("ws.ping.interval.ms", LONG, "20000",
            100, Long.MAX_VALUE,
            "After this long without receiving anything the gateway sends a WebSocket ping, so that live "
                    + "clients answer with a pong before ws.idle.timeout.ms runs out.");
    public static final ConfigKey WS_WRITE_BUFFER_LOW_BYTES = ConfigKey.ranged("ws.write.buffer.low.bytes", INT,
            "262144", 1, Integer.MAX_VALUE,
            "Netty low write-buffer water mark per connection: below it a connection is writable again.");
    public static final ConfigKey WS_WRITE_BUFFER_HIGH_BYTES = ConfigKey.ranged("ws.write.buffer.high.bytes", INT,
            "1048576", 1, Integer.MAX_VALUE,
            "Netty high write-buffer water mark per connection: above it a connection is not writable.");
    public static final ConfigKey WS_MAX_PENDING_BYTES = ConfigKey.ranged("ws.max.pending.bytes", LONG, "16777216",
            1, Long.MAX_VALUE,
            "Most bytes held for one connection: its outbound buffer plus the records its slow-consumer policy "
                    + "keeps for it. Past this the connection is closed with a GoAway and status 1008 (slow "
                    + "consumer), whatever its policy, which bounds memory per connection.");
    public static final ConfigKey WS_MAX_PENDING_BYTES_TOTAL = ConfigKey.ranged("ws.max.pending.bytes.total", LONG,
            "0", 0, Long.MAX_VALUE,
            "Most bytes held for all connections of the node together (outbound buffers plus held records), "
                    + "counted every 50 ms and estimated in between: past it the connections furthest behind are "
                    + "closed as slow consumers (GoAway with resume positions, status 1008), largest first, until "
                    + "the node is back under 90% of it, before direct memory runs out. 0: a quarter of the direct "
                    + "memory limit.");
    public static final ConfigKey WS_SEND_BUFFER_BYTES = ConfigKey.ranged("ws.send.buffer.bytes", INT, "0",
            0, Integer.MAX_VALUE,
            "Kernel send buffer per connection (SO_SNDBUF), in bytes: 0, or at least 65536. 0 leaves it to the "
                    + "operating system, which grows it as needed (Linux: up to net.ipv4.tcp_wmem's maximum, often "
                    + "4 MiB). A fixed size bounds the kernel memory a client that stops reading can hold, and makes "
                    + "it count as behind sooner; too small limits throughput to distant clients. The floor: below "
                    + "one full TCP segment (64 KiB on loopback) each segment waits for the client's delayed "
                    + "acknowledgement before the next can be queued (60 KiB frames went out at 1.5 MB/s with 8192).");
    public static final ConfigKey SLOW_CONSUMER_POLICY = ConfigKey.of("slow.consumer.policy", STRING, null,
            "What a connection above ws.write.buffer.high.bytes gets, per topic or channel: comma-separated "
                    + "pattern=policy rules, first match wins, e.g. quotes*=conflate,inbox=disconnect,*=drop. "
                    + "Policies: conflate (newest record per key until it drains; for latest-value topics), drop "
                    + "(then a Gap), disconnect (GoAway with the client's positions, close 1008: a resuming client "
                    + "loses nothing). A pattern without '/' matches the topic, one with '/' the channel "
                    + "TOPIC/KEY; '*' matches anything. Unmatched records get disconnect. "
                    + "Default: quotes=conflate,*=disconnect in dev mode; *=disconnect otherwise.");
    public static final ConfigKey WS_MAX_CONNECTIONS = ConfigKey.ranged("ws.max.connections", INT, "50000", 1,
            Integer.MAX_VALUE, "Most TCP connections the WebSocket listener holds at once (upgraded or not). "
                    + "Past it a new connection is closed as soon as it is accepted.");
    public static final ConfigKey WS_DESCRIPTOR_RESERVE = ConfigKey.ranged("ws.descriptor.reserve", INT, "512", 16,
            Integer.MAX_VALUE, "File descriptors kept free for everything but client connections: Kafka "
                    + "connections (a broker restart or a leader move opens new ones), the admin port, jars, logs. "
                    + "The node holds at most the process's descriptor limit (ulimit -n) minus this many client "
                    + "connections, even when ws.max.connections is higher (it warns at start-up), and closes any "
                    + "further connection as soon as it is accepted.");
    public static final ConfigKey WS_MAX_CONNECTIONS_PER_ADDRESS = ConfigKey.ranged(
            "ws.max.connections.per.address", INT, "1000", 1, Integer.MAX_VALUE,
            "Most TCP connections from one source IP address at once. Past it a new connection from that address "
                    + "is closed as soon as it is accepted. Raise it when many clients share an address: NAT, or a "
                    + "load balancer that proxies TCP without keeping client addresses (see ws.proxy.protocol).");
    public static final ConfigKey WS_HANDSHAKE_TIMEOUT_MS = ConfigKey.ranged("ws.handshake.timeout.ms", LONG,
            "10000", 100, Long.MAX_VALUE,
            "A connection that has not completed its WebSocket upgrade this long after it was accepted is closed "
                    + "(slow or idle HTTP clients, slowloris).");
    public static final ConfigKey WS_PROXY_PROTOCOL = ConfigKey.of("ws.proxy.protocol", BOOLEAN, "false",
            "Read a PROXY protocol header (version 1 or 2, as HAProxy's send-proxy-v2 sends) at the start of every "
                    + "WebSocket connection, and count, limit and log the connection by the client address it "
                    + "names instead of the load balancer's. A connection without a valid header within "
                    + "ws.handshake.timeout.ms is closed. Turn it on only when the WebSocket port can be reached "
                    + "through the balancer alone: anyone who can connect directly could claim any address. The "
                    + "admin port never reads the header.");
    public static final ConfigKey WS_ALLOWED_ORIGINS = ConfigKey.of("ws.allowed.origins", LIST, "*",
            "Origins (scheme://host[:port]) whose browser pages may open WebSockets, comma-separated; * allows "
                    + "any. An upgrade with another Origin header gets HTTP 403; requests without one (non-browser "
                    + "clients) are not affected.");
    public static final ConfigKey WS_COMPRESSION = ConfigKey.of("ws.compression", BOOLEAN, "true",
            "Negotiate permessage-deflate (RFC 7692) with clients that offer it, always with "
                    + "server_no_context_takeover: each record frame is then compressed once and the same bytes go "
                    + "to every such connection. Replies, replayed records and Gaps go uncompressed. false: the "
                    + "offer is declined and every frame goes as it is.");
    public static final ConfigKey WS_COMPRESSION_LEVEL = ConfigKey.ranged("ws.compression.level", INT, "6", 1, 9,
            "zlib level for compressed frames: 1 fastest, 9 smallest. Paid once per record, not per connection.");
    public static final ConfigKey WS_COMPRESSION_MIN_BYTES = ConfigKey.ranged("ws.compression.min.bytes", INT,
            "128", 0, Integer.MAX_VALUE,
            "Frames whose payload is smaller than this go uncompressed to every connection (small frames barely "
                    + "shrink, and the client still pays to inflate them); a frame that does not shrink goes "
                    + "uncompressed too. Per topic: ws.compression.topic.min.bytes.");
    public static final ConfigKey WS_COMPRESSION_TOPIC_MIN_BYTES = ConfigKey.of("ws.compression.topic.min.bytes",
            STRING, null,
            "ws.compression.min.bytes for named topics: TOPIC=BYTES,... (e.g. book=0,ticks=100000 to compress "
                    + "every book frame and no tick frame). Topics not named: ws.compression.min.bytes.");
    public static final ConfigKey WS_CLIENT_FRAMES_PER_SECOND = ConfigKey.ranged("ws.client.frames.per.second",
            INT, "100", 1, Integer.MAX_VALUE,
            "Sustained rate of frames (requests and pings) one connection may send. Frames beyond it and the "
                    + "burst get LIMIT_EXCEEDED (pings: no pong); after 100 refusals without a pause that refills the "
                    + "burst the connection is closed (1008).");
    public static final ConfigKey WS_CLIENT_FRAMES_BURST = ConfigKey.ranged("ws.client.frames.burst", INT, "1000",
            1, Integer.MAX_VALUE,
            "Frames a connection may send at once above ws.client.frames.per.second (token-bucket size): room "
                    + "to subscribe to many channels right after connecting.");
    public static final ConfigKey IO_THREADS = ConfigKey.ranged("io.threads", INT, "0", 0, 1_024,
            "Netty event-loop threads serving connections. 0 means one per available processor.");
    public static final ConfigKey TRANSPORT = ConfigKey.of("transport", STRING, "auto",
            "Socket transport: auto (epoll where available, else nio), epoll, io_uring (Linux 5.14 or later, where "
                    + "the kernel allows it) or nio.");
    public static final ConfigKey ADMIN_PORT = ConfigKey.ranged("admin.port", INT, "9090", 0, MAX_PORT,
            "TCP port of the admin listener (/healthz, /readyz, /metrics). 0 picks a free port.");
    public static final ConfigKey ADMIN_BIND_ADDRESS = ConfigKey.of("admin.bind.address", STRING, "127.0.0.1",
            "Address the admin listener binds to. Loopback by default: expose it deliberately.");
    public static final ConfigKey ADMIN_TOKEN = ConfigKey.of("admin.token", STRING, null,
            "Bearer token that every admin request other than GET or HEAD (the state-changing ones) must carry "
                    + "in Authorization. Unset: such requests get 403.");
    public static final ConfigKey PUBLISH_ENABLED = ConfigKey.of("publish.enabled", BOOLEAN, "false",
            "Let clients publish to served topics. When false, Publish gets FORBIDDEN.");
    public static final ConfigKey PUBLISH_MAX_PAYLOAD_BYTES = ConfigKey.ranged("publish.max.payload.bytes", INT,
            "32768", 0, Integer.MAX_VALUE,
            "Largest Publish payload accepted, in bytes; a larger one gets LIMIT_EXCEEDED. (A client message is "
                    + "also bounded by ws.max.frame.bytes.)");
    public static final ConfigKey PUBLISH_TIMEOUT_MS = ConfigKey.ranged("publish.timeout.ms", LONG, "10000",
            1, Long.MAX_VALUE,
            "How long a Publish may wait for the broker's acknowledgement before it gets UNAVAILABLE.");
    public static final ConfigKey METADATA_REFRESH_MS = ConfigKey.ranged("ingest.metadata.refresh.ms", LONG,
            "30000", 100, Long.MAX_VALUE,
            "How often the ingest thread looks for new partitions of the served topics.");
    public static final ConfigKey HISTORY_PARTITION_MAX_BYTES = ConfigKey.ranged("history.partition.max.bytes",
            LONG, "1048576", 0, Long.MAX_VALUE,
            "Recent records kept in memory per served partition, in bytes of encoded frames, for clients that "
                    + "resume. Older records are read from Kafka by the catch-up readers. 0 keeps none. A record that "
                    + "has been replayed also keeps its frame encoded once per subprotocol for the next replays, "
                    + "which this budget does not count: up to three times it in all.");
    public static final ConfigKey CATCHUP_READERS = ConfigKey.ranged("catchup.readers", INT, "2", 1, 64,
            "Kafka consumers (one thread each) that read records no longer in memory for resuming clients. "
                    + "Shared by all clients: requests for one partition are served from the same fetches.");
    public static final ConfigKey INGEST_ISOLATION_LEVEL = ConfigKey.of("ingest.isolation.level", STRING,
            "read_committed",
            "Which records of Kafka transactions clients get, live and when they resume: read_committed (the "
                    + "committed ones only, once their transaction commits; records of aborted transactions "
                    + "never) or read_uncommitted (every record as soon as it is written, aborted ones included). "
                    + "Applies to the ingest consumer and the catch-up readers; overrides kafka.isolation.level.");
    public static final ConfigKey SNAPSHOT_TOPICS = ConfigKey.of("snapshot.topics", LIST, null,
            "Served topics (typically compacted) whose last value per key the gateway keeps, for "
                    + "Subscribe{snapshot: true}. They are read from their beginning at start-up; the node is not "
                    + "ready until that is done. Comma-separated. Default: quotes in dev mode; none otherwise.");
    public static final ConfigKey PAYLOAD_FORMATS = ConfigKey.of("payload.formats", STRING, null,
            "How the fanwire.v1.json subprotocol carries each topic's record values: TOPIC=FORMAT,... with "
                    + "FORMAT bytes (base64 \"payload\"), json (the value itself as \"data\", when it is valid JSON) "
                    + "or text (\"data\" as a JSON string, when it is valid UTF-8). A value that does not fit goes "
                    + "as base64 (fanwire_payload_format_fallbacks_total). Topics not named: bytes. The protobuf "
                    + "subprotocol always carries bytes. Default: quotes=json,trades=json in dev mode; empty otherwise.");
    public static final ConfigKey SNAPSHOT_TOPIC_MAX_BYTES = ConfigKey.ranged("snapshot.topic.max.bytes", LONG,
            "67108864", 1, Long.MAX_VALUE,
            "Memory for the last values of one snapshot topic, in bytes (per key: its frame twice, once kept "
                    + "and once encoded as the snapshot frame every connection shares, plus about 130 bytes). Past it "
                    + "keys are evicted by Caffeine's size policy (keys written rarely and not lately go first; a new "
                    + "key may be the one evicted) and are missing from snapshots until written again.");
    public static final ConfigKey DRAIN_GRACE_MS = ConfigKey.ranged("drain.grace.ms", LONG, "10000", 0, 3_600_000,
            "Drain (SIGTERM, or POST /drain on the admin port): how long clients have, after their GoAway, to "
                    + "reconnect elsewhere before the node closes their connections (1001) and exits.");
    public static final ConfigKey DRAIN_RECONNECT_SPREAD_MS = ConfigKey.ranged("drain.reconnect.spread.ms", LONG,
            "2000", 0, 3_600_000,
            "Drain: GoAway.reconnect_within_ms, the window over which clients spread their reconnects (each "
                    + "waits a random delay up to it), so that a drained node's clients do not all arrive at once.");
    public static final ConfigKey DEV_KAFKA_PORT = ConfigKey.ranged("dev.kafka.port", INT, "9092", 0, MAX_PORT,
            "Dev mode: the port of the embedded broker on 127.0.0.1. 0 picks a free port.");
    public static final ConfigKey DEV_FEED_RATE = ConfigKey.ranged("dev.feed.rate", INT, "200", 0, 1_000_000,
            "Dev mode: quote updates per second produced by the demo feed. 0 turns the feed off.");
    public static final ConfigKey DEV_FEED_SYMBOLS = ConfigKey.ranged("dev.feed.symbols", INT, "50", 1, 10_000,
            "Dev mode: how many symbols the demo feed quotes.");

    public static final ConfigKey TLS_CERT_FILE = ConfigKey.of("tls.cert.file", STRING, null,
            "PEM certificate chain (leaf first). With tls.key.file it turns on TLS for the WebSocket listener "
                    + "(wss://) and, unless admin.tls is false, the admin listener.");
    public static final ConfigKey TLS_KEY_FILE = ConfigKey.of("tls.key.file", STRING, null,
            "PEM private key (PKCS#8, BEGIN PRIVATE KEY) of tls.cert.file.");
    public static final ConfigKey ADMIN_TLS = ConfigKey.of("admin.tls", BOOLEAN, "true",
            "When TLS is configured, serve the admin listener over TLS too (https).");
    public static final ConfigKey AUTH_ANONYMOUS = ConfigKey.of("auth.anonymous", BOOLEAN, null,
            "Accept WebSocket upgrades that carry no token. Default: true in dev mode, false otherwise. "
                    + "A token that is present but invalid is refused either way (401).");
    public static final ConfigKey AUTH_HS256_SECRET = ConfigKey.of("auth.hs256.secret", STRING, null,
            "Shared secret (UTF-8, at least 32 bytes) that verifies HS256 tokens. Pinned to HS256.");
    public static final ConfigKey AUTH_PUBLIC_KEY_FILE = ConfigKey.of("auth.public.key.file", STRING, null,
            "PEM file with one public key (BEGIN PUBLIC KEY): RSA (2048 bits or more) verifies RS256 tokens "
                    + "only, EC P-256 verifies ES256 tokens only.");
    public static final ConfigKey AUTH_JWKS_FILE = ConfigKey.of("auth.jwks.file", STRING, null,
            "JWKS file (RFC 7517) of verification keys. Every key must name its alg (HS256, RS256 or ES256), "
                    + "which pins it. Re-read when its content changes; a broken file keeps the previous keys.");
    public static final ConfigKey AUTH_JWKS_RELOAD_MS = ConfigKey.ranged("auth.jwks.reload.ms", LONG, "5000",
            100, Long.MAX_VALUE, "How often auth.jwks.file is checked for changes.");
    public static final ConfigKey AUTH_ISSUER = ConfigKey.of("auth.issuer", STRING, null,
            "When set, a token's iss claim must equal it.");
    public static final ConfigKey AUTH_AUDIENCE = ConfigKey.of("auth.audience", STRING, null,
            "When set, a token's aud claim must contain it.");
    public static final ConfigKey AUTH_CLOCK_SKEW_MS = ConfigKey.ranged("auth.clock.skew.ms", LONG, "30000", 0,
            300_000, "Tolerance when checking a token's exp and nbf against this node's clock.");
    public static final ConfigKey AUTH_RULES = ConfigKey.of("auth.rules", STRING,
            "subscribe inbox/{sub} authenticated; any inbox nobody; any inbox/* nobody; any * anyone",
            "Access rules, separated by ';': ACTION PATTERN WHO. ACTION is subscribe, publish or any; PATTERN "
                    + "is a channel with wildcards and {sub} for the token's subject; WHO is anyone, authenticated, "
                    + "nobody or claim:NAME=VALUE. The first rule whose action and pattern match decides; no match "
                    + "means FORBIDDEN. Syntax and examples: docs/security.md.");

    /** Every key, in the order the reference page lists them. */
    public static final List<ConfigKey> ALL = ConfigKey.list(
            DEV, TOPICS, PORT, BIND_ADDRESS, WS_PATH, WS_MAX_FRAME_BYTES, WS_MAX_CHANNEL_LENGTH,
            WS_MAX_SUBSCRIPTIONS, WS_IDLE_TIMEOUT_MS, WS_PING_INTERVAL_MS, WS_WRITE_BUFFER_LOW_BYTES,
            WS_WRITE_BUFFER_HIGH_BYTES, WS_MAX_PENDING_BYTES, WS_MAX_PENDING_BYTES_TOTAL, WS_SEND_BUFFER_BYTES,
            SLOW_CONSUMER_POLICY,
            WS_MAX_CONNECTIONS, WS_DESCRIPTOR_RESERVE, WS_MAX_CONNECTIONS_PER_ADDRESS, WS_HANDSHAKE_TIMEOUT_MS,
            WS_PROXY_PROTOCOL,
            WS_ALLOWED_ORIGINS, WS_COMPRESSION, WS_COMPRESSION_LEVEL, WS_COMPRESSION_MIN_BYTES,
            WS_COMPRESSION_TOPIC_MIN_BYTES,
            WS_CLIENT_FRAMES_PER_SECOND, WS_CLIENT_FRAMES_BURST, IO_THREADS, TRANSPORT, ADMIN_PORT,
            ADMIN_BIND_ADDRESS, ADMIN_TOKEN, TLS_CERT_FILE, TLS_KEY_FILE, ADMIN_TLS, AUTH_ANONYMOUS, AUTH_HS256_SECRET, AUTH_PUBLIC_KEY_FILE,
            AUTH_JWKS_FILE, AUTH_JWKS_RELOAD_MS, AUTH_ISSUER, AUTH_AUDIENCE, AUTH_CLOCK_SKEW_MS, AUTH_RULES,
            PUBLISH_ENABLED, PUBLISH_MAX_PAYLOAD_BYTES, PUBLISH_TIMEOUT_MS, METADATA_REFRESH_MS,
            HISTORY_PARTITION_MAX_BYTES, CATCHUP_READERS, INGEST_ISOLATION_LEVEL, SNAPSHOT_TOPICS, SNAPSHOT_TOPIC_MAX_BYTES, PAYLOAD_FORMATS, DRAIN_GRACE_MS,
            DRAIN_RECONNECT_SPREAD_MS, DEV_KAFKA_PORT,
            DEV_FEED_RATE, DEV_FEED_SYMBOLS);

    /** The key with this name, or null. */
    public static ConfigKey find(String name) {
        for (ConfigKey key : ALL) {
            if (key.name().equals(name)) {
                return key;
            }
        }
        return null;
    }

    private ConfigKeys() {
    }
}
