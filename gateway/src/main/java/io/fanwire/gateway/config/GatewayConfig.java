package io.fanwire.gateway.config;

import static io.fanwire.gateway.config.ConfigKeys.*;

import io.fanwire.gateway.codec.FrameCompression;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The gateway's whole configuration: immutable, and validated when built, so that a bad value stops the
 * gateway at start-up with one line that names the key. Built from raw strings by {@link #from(Map)};
 * where the strings come from (file, environment, flags) is {@link ConfigLoader}'s business.
 *
 * @param proxyProtocol whether every WebSocket connection starts with a PROXY protocol header
 *     ({@code ws.proxy.protocol})
 * @param kafka Kafka client properties, {@code kafka.} prefix removed (for example {@code bootstrap.servers})
 * @param security authentication, access rules and the admin token
 * @param limits connection, rate, origin and payload limits
 */
public record GatewayConfig(
        boolean dev,
        List<String> topics,
        int port,
        String bindAddress,
        boolean proxyProtocol,
        String wsPath,
        int maxFrameBytes,
        int maxChannelLength,
        int maxSubscriptions,
        Duration idleTimeout,
        Duration pingInterval,
        int writeBufferLowBytes,
        int writeBufferHighBytes,
        long maxPendingBytes,
        long maxPendingBytesTotal,
        int sendBufferBytes,
        SlowConsumerPolicies slowConsumerPolicies,
        int ioThreads,
        Transport transport,
        int adminPort,
        String adminBindAddress,
        boolean publishEnabled,
        Duration publishTimeout,
        Duration metadataRefresh,
        long historyPartitionMaxBytes,
        int catchUpReaders,
        boolean readCommitted,
        List<String> snapshotTopics,
        long snapshotTopicMaxBytes,
        PayloadFormats payloadFormats,
        FrameCompression compression,
        Duration drainGrace,
        Duration drainReconnectSpread,
        int devKafkaPort,
        int devFeedRate,
        int devFeedSymbols,
        Map<String, String> kafka,
        SecurityConfig security,
        ClientLimits limits) {

    /** The demo topics that dev mode creates and serves. */
    public static final List<String> DEV_TOPICS = List.of("quotes", "trades", "inbox");
    /** Dev mode's snapshot topics, unless {@code snapshot.topics} says otherwise: the quotes board fills at once. */
    public static final List<String> DEV_SNAPSHOT_TOPICS = List.of("quotes");
    /** Dev mode's payload formats, unless {@code payload.formats} says otherwise: the demo feed writes JSON. */
    public static final String DEV_PAYLOAD_FORMATS = "quotes=json,trades=json";
    /** The slow-consumer policy outside dev mode, unless configured: lossless, the client resumes. */
    /** The smallest fixed ws.send.buffer.bytes: one full TCP segment on loopback (see its description). */
    public static final int MIN_SEND_BUFFER_BYTES = 65536;
    public static final String DEFAULT_SLOW_CONSUMER_POLICY = "*=disconnect";
    /** Dev mode's slow-consumer policy: the quotes board is latest-value data; every other record matters. */
    public static final String DEV_SLOW_CONSUMER_POLICY = "quotes=conflate,*=disconnect";

    /** Socket transport choice. */
    public enum Transport { AUTO, EPOLL, IO_URING, NIO }

    public GatewayConfig {
        topics = List.copyOf(topics);
        snapshotTopics = List.copyOf(snapshotTopics);
        requireServed(SNAPSHOT_TOPICS.name(), snapshotTopics, topics);
        requireServed(PAYLOAD_FORMATS.name(), payloadFormats.named().keySet(), topics);
        requireServed(WS_COMPRESSION_TOPIC_MIN_BYTES.name(), compression.topicMinBytes().keySet(), topics);
        kafka = Map.copyOf(kafka);
        if (!dev && !kafka.containsKey("bootstrap.servers")) {
            throw new ConfigException(KAFKA_BOOTSTRAP + " is required unless dev mode is on");
        }
        if (topics.isEmpty()) {
            throw new ConfigException("topics is empty: name the Kafka topics to serve, e.g. --topics quotes,trades");
        }
        if (sendBufferBytes != 0 && sendBufferBytes < MIN_SEND_BUFFER_BYTES) {
            throw new ConfigException(WS_SEND_BUFFER_BYTES.name() + " is " + sendBufferBytes + ": use 0 (the operating "
                    + "system's default) or at least " + MIN_SEND_BUFFER_BYTES + " (docs/configuration.md says why)");
        }
        for (String topic : topics) {
            if (topic.contains("/")) {
                throw new ConfigException("topics: '" + topic + "' contains '/', which separates topic and key");
            }
        }
        if (!wsPath.startsWith("/")) {
            throw new ConfigException("ws.path must start with '/', not '" + wsPath + "'");
        }
        if (writeBufferLowBytes > writeBufferHighBytes) {
            throw new ConfigException("ws.write.buffer.low.bytes (" + writeBufferLowBytes
                    + ") must not exceed ws.write.buffer.high.bytes (" + writeBufferHighBytes + ")");
        }
        security.requireAWayIn();
    }

    /**
     * Validates raw values by the catalog and builds the configuration. Keys must be in {@link ConfigKeys}
     * or start with {@value ConfigKeys#KAFKA_PREFIX}; unset keys take their defaults.
     */
    public static GatewayConfig from(Map<String, String> raw) {
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> kafka = new TreeMap<>();
        raw.forEach((name, value) -> {
            if (name.startsWith(KAFKA_PREFIX)) {
                kafka.put(name.substring(KAFKA_PREFIX.length()), value.trim());
                return;
            }
            ConfigKey key = ConfigKeys.find(name);
            if (key == null) {
                throw new ConfigException("unknown configuration key '" + name + "' (see docs/configuration.md)");
            }
            values.put(name, key.parse(value));
        });
        for (ConfigKey key : ConfigKeys.ALL) {
            if (!values.containsKey(key.name()) && key.defaultValue() != null) {
                values.put(key.name(), key.parse(key.defaultValue()));
            }
        }

        boolean hasBootstrap = kafka.containsKey("bootstrap.servers");
        boolean dev = (Boolean) values.getOrDefault(DEV.name(), !hasBootstrap);
        if (dev && hasBootstrap) {
            throw new ConfigException("dev mode starts its own broker: drop " + KAFKA_BOOTSTRAP
                    + " or turn dev off (--dev=false)");
        }
        @SuppressWarnings("unchecked")
        List<String> topics = (List<String>) values.getOrDefault(TOPICS.name(), dev ? DEV_TOPICS : List.of());
        @SuppressWarnings("unchecked")
        List<String> snapshotTopics = (List<String>) values.getOrDefault(SNAPSHOT_TOPICS.name(),
                dev && topics.containsAll(DEV_SNAPSHOT_TOPICS) ? DEV_SNAPSHOT_TOPICS : List.of());
        String payloadFormats = (String) values.getOrDefault(PAYLOAD_FORMATS.name(),
                dev && topics.equals(DEV_TOPICS) ? DEV_PAYLOAD_FORMATS : "");
        String transport = ((String) values.get(TRANSPORT.name()));
        return new GatewayConfig(
                dev,
                topics,
                (Integer) values.get(PORT.name()),
                (String) values.get(BIND_ADDRESS.name()),
                (Boolean) values.get(WS_PROXY_PROTOCOL.name()),
                (String) values.get(WS_PATH.name()),
                (Integer) values.get(WS_MAX_FRAME_BYTES.name()),
                (Integer) values.get(WS_MAX_CHANNEL_LENGTH.name()),
                (Integer) values.get(WS_MAX_SUBSCRIPTIONS.name()),
                Duration.ofMillis((Long) values.get(WS_IDLE_TIMEOUT_MS.name())),
                Duration.ofMillis((Long) values.get(WS_PING_INTERVAL_MS.name())),
                (Integer) values.get(WS_WRITE_BUFFER_LOW_BYTES.name()),
                (Integer) values.get(WS_WRITE_BUFFER_HIGH_BYTES.name()),
                (Long) values.get(WS_MAX_PENDING_BYTES.name()),
                (Long) values.get(WS_MAX_PENDING_BYTES_TOTAL.name()),
                (Integer) values.get(WS_SEND_BUFFER_BYTES.name()),
                parsePolicies((String) values.getOrDefault(SLOW_CONSUMER_POLICY.name(),
                        dev && topics.equals(DEV_TOPICS) ? DEV_SLOW_CONSUMER_POLICY : DEFAULT_SLOW_CONSUMER_POLICY)),
                (Integer) values.get(IO_THREADS.name()),
                parseTransport(transport),
                (Integer) values.get(ADMIN_PORT.name()),
                (String) values.get(ADMIN_BIND_ADDRESS.name()),
                (Boolean) values.get(PUBLISH_ENABLED.name()),
                Duration.ofMillis((Long) values.get(PUBLISH_TIMEOUT_MS.name())),
                Duration.ofMillis((Long) values.get(METADATA_REFRESH_MS.name())),
                (Long) values.get(HISTORY_PARTITION_MAX_BYTES.name()),
                (Integer) values.get(CATCHUP_READERS.name()),
                parseReadCommitted((String) values.get(INGEST_ISOLATION_LEVEL.name())),
                snapshotTopics,
                (Long) values.get(SNAPSHOT_TOPIC_MAX_BYTES.name()),
                parsePayloadFormats(payloadFormats),
                parseCompression(values),
                Duration.ofMillis((Long) values.get(DRAIN_GRACE_MS.name())),
                Duration.ofMillis((Long) values.get(DRAIN_RECONNECT_SPREAD_MS.name())),
                (Integer) values.get(DEV_KAFKA_PORT.name()),
                (Integer) values.get(DEV_FEED_RATE.name()),
                (Integer) values.get(DEV_FEED_SYMBOLS.name()),
                kafka,
                new SecurityConfig(
                        (Boolean) values.getOrDefault(AUTH_ANONYMOUS.name(), dev),
                        (String) values.get(AUTH_HS256_SECRET.name()),
                        (String) values.get(AUTH_PUBLIC_KEY_FILE.name()),
                        (String) values.get(AUTH_JWKS_FILE.name()),
                        Duration.ofMillis((Long) values.get(AUTH_JWKS_RELOAD_MS.name())),
                        (String) values.get(AUTH_ISSUER.name()),
                        (String) values.get(AUTH_AUDIENCE.name()),
                        Duration.ofMillis((Long) values.get(AUTH_CLOCK_SKEW_MS.name())),
                        (String) values.get(AUTH_RULES.name()),
                        (String) values.get(ADMIN_TOKEN.name()),
                        (String) values.get(TLS_CERT_FILE.name()),
                        (String) values.get(TLS_KEY_FILE.name()),
                        (Boolean) values.get(ADMIN_TLS.name())),
                new ClientLimits(
                        (Integer) values.get(WS_MAX_CONNECTIONS.name()),
                        (Integer) values.get(WS_DESCRIPTOR_RESERVE.name()),
                        (Integer) values.get(WS_MAX_CONNECTIONS_PER_ADDRESS.name()),
                        Duration.ofMillis((Long) values.get(WS_HANDSHAKE_TIMEOUT_MS.name())),
                        listOf(values.get(WS_ALLOWED_ORIGINS.name())),
                        (Integer) values.get(WS_CLIENT_FRAMES_PER_SECOND.name()),
                        (Integer) values.get(WS_CLIENT_FRAMES_BURST.name()),
                        (Integer) values.get(PUBLISH_MAX_PAYLOAD_BYTES.name())));
    }

    /** Fails naming {@code key} when it names a topic that is not among {@code topics}. */
    private static void requireServed(String key, Collection<String> named, List<String> topics) {
        for (String topic : named) {
            if (!topics.contains(topic)) {
                throw new ConfigException(key + ": '" + topic + "' is not one of the served topics " + topics);
            }
        }
    }

    private static SlowConsumerPolicies parsePolicies(String value) {
        try {
            return SlowConsumerPolicies.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(SLOW_CONSUMER_POLICY.name() + ": " + e.getMessage());
        }
    }

    private static PayloadFormats parsePayloadFormats(String value) {
        try {
            return PayloadFormats.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(PAYLOAD_FORMATS.name() + ": " + e.getMessage());
        }
    }

    private static FrameCompression parseCompression(Map<String, Object> values) {
        if (!(Boolean) values.get(WS_COMPRESSION.name())) {
            return FrameCompression.OFF;
        }
        try {
            return FrameCompression.on((Integer) values.get(WS_COMPRESSION_LEVEL.name()),
                    (Integer) values.get(WS_COMPRESSION_MIN_BYTES.name()),
                    FrameCompression.parseTopicMinBytes(
                            (String) values.getOrDefault(WS_COMPRESSION_TOPIC_MIN_BYTES.name(), "")));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(WS_COMPRESSION_TOPIC_MIN_BYTES.name() + ": " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> listOf(Object value) {
        return (List<String>) value;
    }

    private static boolean parseReadCommitted(String value) {
        return switch (value) {
            case "read_committed" -> true;
            case "read_uncommitted" -> false;
            default -> throw new ConfigException(INGEST_ISOLATION_LEVEL.name()
                    + " must be read_committed or read_uncommitted, not '" + value + "'");
        };
    }

    private static Transport parseTransport(String value) {
        return switch (value) {
            case "auto" -> Transport.AUTO;
            case "epoll" -> Transport.EPOLL;
            case "io_uring" -> Transport.IO_URING;
            case "nio" -> Transport.NIO;
            default -> throw new ConfigException(
                    "transport must be auto, epoll, io_uring or nio, not '" + value + "'");
        };
    }

    /** A copy whose Kafka clients connect to {@code bootstrapServers}: dev mode's embedded broker. */
    public GatewayConfig withBootstrapServers(String bootstrapServers) {
        Map<String, String> k = new TreeMap<>(kafka);
        k.put("bootstrap.servers", bootstrapServers);
        return new GatewayConfig(dev, topics, port, bindAddress, proxyProtocol, wsPath, maxFrameBytes, maxChannelLength,
                maxSubscriptions, idleTimeout, pingInterval, writeBufferLowBytes, writeBufferHighBytes,
                maxPendingBytes, maxPendingBytesTotal, sendBufferBytes, slowConsumerPolicies, ioThreads, transport, adminPort,
                adminBindAddress, publishEnabled, publishTimeout, metadataRefresh, historyPartitionMaxBytes,
                catchUpReaders, readCommitted, snapshotTopics, snapshotTopicMaxBytes, payloadFormats, compression, drainGrace, drainReconnectSpread, devKafkaPort,
                devFeedRate, devFeedSymbols, k, security, limits);
    }

    /**
     * The properties of the gateway's Kafka consumers (ingest and catch-up readers): {@link #kafka} with
     * {@code isolation.level} as {@code ingest.isolation.level} says, so that both read the same records.
     */
    public Map<String, String> consumerKafka() {
        Map<String, String> k = new TreeMap<>(kafka);
        k.put("isolation.level", readCommitted ? "read_committed" : "read_uncommitted");
        return Map.copyOf(k);
    }

    /** The Kafka brokers, {@code host:port,...}. In dev mode only after {@link #withBootstrapServers}. */
    public String bootstrapServers() {
        return kafka.get("bootstrap.servers");
    }
}
