package io.fanwire.loadtest;

import java.util.Objects;

/**
 * The catalog of load-test knobs: every system property a simulation reads, with its default and what it
 * means. {@code loadtest/README.md} has the same table; {@code KnobCatalogTest} fails when they drift apart.
 * A simulation may give a knob another default ({@link LoadSettings#read}); the table says which.
 *
 * <p>Immutable; any thread.
 */
public enum Knob {
    URL("fanwire.url", "ws://localhost:8080/ws",
            "Target WebSocket URL, ws:// or wss://. Several, comma-separated (nodes without a balancer): user i "
                    + "connects to URL i mod n, and Resume reconnects to the next one."),
    USERS("fanwire.users", "100", "Virtual users: one WebSocket connection each."),
    RAMP("fanwire.ramp.s", "10", "Seconds over which the users connect, evenly spread."),
    DURATION("fanwire.duration.s", "30",
            "Seconds of plateau after the ramp: every user stays connected and the producer keeps producing."),
    CHANNEL("fanwire.channel", "trades/lt-{key}",
            "Channel each user subscribes to: TOPIC, or TOPIC/KEY where KEY may hold {key} (user number mod "
                    + "fanwire.keys), {user} (user number) and {sub} (the user's token subject)."),
    KEYS("fanwire.keys", "10",
            "Key spread: how many values {key} takes; for a whole-topic channel, over how many keys the "
                    + "producer spreads its records."),
    SNAPSHOT("fanwire.snapshot", "false",
            "Subscribe with snapshot: true (only on the gateway's snapshot topics; dev mode: quotes)."),
    RATE("fanwire.rate", "50",
            "Records per second the simulation produces into Kafka (Fanout, Resume, Soak; ConnectAndSubscribe "
                    + "when above 0); for RoundTrip, publishes per second over all users."),
    PAYLOAD_BYTES("fanwire.payload.bytes", "100", "Size of each produced or published record value, in bytes."),
    SUBPROTOCOL("fanwire.subprotocol", "json",
            "json (fanwire.v1.json, text frames) or proto (fanwire.v1.proto, binary frames)."),
    TOKEN_SECRET("fanwire.token.secret", "",
            "HS256 secret, as the gateway's auth.hs256.secret (32 bytes or more): each user gets its own token "
                    + "with sub = fanwire.token.subject. Empty: no token (dev mode)."),
    TOKEN_SUBJECT("fanwire.token.subject", "loadtest-{user}",
            "The sub claim of minted tokens; {user} is the user number."),
    TOKEN_TTL("fanwire.token.ttl.s", "3600", "Lifetime of minted tokens, in seconds (exp = now + this)."),
    TOKEN_FILE("fanwire.token.file", "",
            "Instead of a secret: a file of tokens from your identity provider, one per line; user i uses line "
                    + "i mod n, and {sub} is that token's sub claim."),
    LOCAL_ADDRESSES("fanwire.local.addresses", "",
            "Source addresses for the connections, comma-separated (127.0.0.2,127.0.0.3): each address "
                    + "and destination pair has about 28,000 ephemeral ports. Empty: the system picks."),
    KAFKA_BOOTSTRAP("fanwire.kafka.bootstrap.servers", "127.0.0.1:9092",
            "The Kafka cluster the simulation produces to. Every other fanwire.kafka.* property goes to the "
                    + "producer without the prefix (fanwire.kafka.security.protocol=SSL)."),
    TIMEOUT("fanwire.timeout.s", "10",
            "How long each awaited answer (upgrade, reply, first record, own record) may take before it fails."),
    DRAIN("fanwire.drain.s", "10",
            "After the producer stops, how long subscribers wait for the last records before they count what "
                    + "is missing."),
    RECONNECT_AFTER("fanwire.reconnect.after.s", "10",
            "Resume: seconds connected before the drop. Soak: how often the reconnecting users drop."),
    OFFLINE("fanwire.offline.s", "2",
            "Resume and Soak: seconds between a drop and the reconnect; what is produced meanwhile must arrive "
                    + "on resume."),
    SOAK_KEYED("fanwire.soak.keyed.percent", "20",
            "Soak: share of users on keyed channels (fanwire.channel); the rest not listed below take the whole "
                    + "topic."),
    SOAK_PUBLISHERS("fanwire.soak.publishers.percent", "5",
            "Soak: share of users that publish (and time each round trip) instead of only reading."),
    SOAK_RECONNECTING("fanwire.soak.reconnecting.percent", "10",
            "Soak: share of keyed users that drop and resume every fanwire.reconnect.after.s."),
    PUBLISH_INTERVAL("fanwire.publish.interval.s", "1", "Soak: seconds between two publishes of one publisher."),
    MAX_FAILED_PERCENT("fanwire.assert.failed.percent", "1",
            "Assertion: at most this percentage of all requests failed."),
    MAX_P99_MS("fanwire.assert.p99.ms", "1000",
            "Assertion: the 99th percentile of the headline timing (per simulation, see below) at most this "
                    + "many milliseconds."),
    BUFFER_MESSAGES("fanwire.buffer.messages", "100000",
            "Messages one connection may hold between two reads by its user (every 500 ms); past it the "
                    + "oldest are lost to the user, which then fails with \"client buffer full\".");

    private final String key;
    private final String defaultValue;
    private final String doc;

    Knob(String key, String defaultValue, String doc) {
        this.key = Objects.requireNonNull(key);
        this.defaultValue = Objects.requireNonNull(defaultValue);
        this.doc = Objects.requireNonNull(doc);
    }

    /** The system property name, {@code fanwire.…}. */
    public String key() {
        return key;
    }

    /** The value when neither the system property nor the simulation sets one; may be empty. */
    public String defaultValue() {
        return defaultValue;
    }

    public String doc() {
        return doc;
    }
}
