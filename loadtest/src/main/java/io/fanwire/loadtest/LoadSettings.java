package io.fanwire.loadtest;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The knobs of one run ({@link Knob}), read once from system properties with the simulation's own defaults,
 * and validated: a bad value stops the simulation before any user starts, with a sentence that names the
 * property.
 *
 * <p>Immutable; any thread.
 */
public record LoadSettings(
        List<URI> urls,
        int users,
        Duration ramp,
        Duration duration,
        ChannelTemplate channel,
        boolean snapshot,
        double rate,
        int payloadBytes,
        WireFormat wire,
        TokenSource tokens,
        List<String> localAddresses,
        Map<String, Object> kafka,
        Duration timeout,
        Duration drain,
        Duration reconnectAfter,
        Duration offline,
        int soakKeyedPercent,
        int soakPublishersPercent,
        int soakReconnectingPercent,
        Duration publishInterval,
        double maxFailedPercent,
        int maxP99Millis,
        int bufferMessages) {

    private static final String KAFKA_PREFIX = "fanwire.kafka.";

    /** Reads the knobs from {@code System.getProperties()}; {@code defaults} replace the catalog's. */
    public static LoadSettings read(Map<Knob, String> defaults) {
        return read(System.getProperties(), defaults);
    }

    /** Reads the knobs from {@code properties}; {@code defaults} replace the catalog's. */
    public static LoadSettings read(Properties properties, Map<Knob, String> defaults) {
        Map<Knob, String> values = new EnumMap<>(Knob.class);
        for (Knob knob : Knob.values()) {
            values.put(knob, properties.getProperty(knob.key(), defaults.getOrDefault(knob, knob.defaultValue()))
                    .trim());
        }
        Map<String, Object> kafka = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith(KAFKA_PREFIX)) {
                kafka.put(name.substring(KAFKA_PREFIX.length()), properties.getProperty(name));
            }
        }
        kafka.put("bootstrap.servers", values.get(Knob.KAFKA_BOOTSTRAP));
        Duration timeout = seconds(values, Knob.TIMEOUT);
        kafka.putIfAbsent("max.block.ms", Long.toString(timeout.toMillis()));
        kafka.putIfAbsent("request.timeout.ms", Long.toString(timeout.toMillis()));
        kafka.putIfAbsent("delivery.timeout.ms", Long.toString(timeout.toMillis() * 2));

        return new LoadSettings(
                urls(values.get(Knob.URL)),
                positive(values, Knob.USERS),
                seconds(values, Knob.RAMP),
                seconds(values, Knob.DURATION),
                new ChannelTemplate(values.get(Knob.CHANNEL), positive(values, Knob.KEYS)),
                bool(values, Knob.SNAPSHOT),
                number(values, Knob.RATE),
                positive(values, Knob.PAYLOAD_BYTES),
                WireFormat.parse(values.get(Knob.SUBPROTOCOL)),
                tokens(values),
                list(values.get(Knob.LOCAL_ADDRESSES)),
                Map.copyOf(kafka),
                timeout,
                seconds(values, Knob.DRAIN),
                seconds(values, Knob.RECONNECT_AFTER),
                seconds(values, Knob.OFFLINE),
                percent(values, Knob.SOAK_KEYED),
                percent(values, Knob.SOAK_PUBLISHERS),
                percent(values, Knob.SOAK_RECONNECTING),
                seconds(values, Knob.PUBLISH_INTERVAL),
                number(values, Knob.MAX_FAILED_PERCENT),
                positive(values, Knob.MAX_P99_MS),
                positive(values, Knob.BUFFER_MESSAGES));
    }

    public LoadSettings {
        if (timeout.isZero()) {
            throw new IllegalArgumentException(Knob.TIMEOUT.key() + " must be above 0");
        }
        if (soakKeyedPercent + soakPublishersPercent > 100) {
            throw new IllegalArgumentException(Knob.SOAK_KEYED.key() + " + " + Knob.SOAK_PUBLISHERS.key()
                    + " must be at most 100");
        }
    }

    /** The URL user {@code user} connects to first. */
    public URI urlFor(int user) {
        return urls.get(user % urls.size());
    }

    /** The URL user {@code user} reconnects to after a drop: the next one, so that it lands on another node. */
    public URI reconnectUrlFor(int user) {
        return urls.get((user + 1) % urls.size());
    }

    /** The keys the feed produces: those the users' channels cover. */
    public List<String> feedKeys() {
        return channel.keys(users, tokens::subjectFor);
    }

    /** A feed producing {@link #rate()} records per second to the channel's topic. */
    public RecordFeed newFeed() {
        return new RecordFeed(kafka, channel.topic(), feedKeys(), rate, payloadBytes);
    }

    /** Ramp plus plateau: how long after the start the producer and the held connections stop. */
    public Duration loadPhase() {
        return ramp.plus(duration);
    }

    /** A hard stop for the whole run: nothing a target does can keep it running past this. */
    public Duration maxRunTime() {
        return loadPhase().plus(drain).plus(timeout.multipliedBy(4)).plus(reconnectAfter).plus(offline)
                .plusSeconds(30);
    }

    private static List<URI> urls(String value) {
        List<URI> urls = new ArrayList<>();
        for (String text : list(value)) {
            URI url;
            try {
                url = URI.create(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(Knob.URL.key() + ": " + text + " is not a URL: " + e.getMessage());
            }
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("ws") && !scheme.equals("wss") || url.getHost() == null) {
                throw new IllegalArgumentException(Knob.URL.key() + ": " + text
                        + " is not a ws:// or wss:// URL with a host, such as ws://localhost:8080/ws");
            }
            urls.add(url);
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException(Knob.URL.key() + " must name at least one ws:// or wss:// URL");
        }
        return List.copyOf(urls);
    }

    private static TokenSource tokens(Map<Knob, String> values) {
        String secret = values.get(Knob.TOKEN_SECRET);
        String file = values.get(Knob.TOKEN_FILE);
        if (!secret.isEmpty() && !file.isEmpty()) {
            throw new IllegalArgumentException("set " + Knob.TOKEN_SECRET.key() + " or " + Knob.TOKEN_FILE.key()
                    + ", not both");
        }
        if (!file.isEmpty()) {
            return TokenSource.file(Path.of(file));
        }
        if (!secret.isEmpty()) {
            return TokenSource.hs256(secret, values.get(Knob.TOKEN_SUBJECT), seconds(values, Knob.TOKEN_TTL),
                    Clock.systemUTC());
        }
        return TokenSource.none();
    }

    private static List<String> list(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return List.copyOf(items);
    }

    private static double number(Map<Knob, String> values, Knob knob) {
        double n;
        try {
            n = Double.parseDouble(values.get(knob));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(knob.key() + " must be a number, was " + values.get(knob));
        }
        if (!(n >= 0) || Double.isInfinite(n)) {
            throw new IllegalArgumentException(knob.key() + " must be 0 or more, was " + values.get(knob));
        }
        return n;
    }

    private static int positive(Map<Knob, String> values, Knob knob) {
        int n;
        try {
            n = Integer.parseInt(values.get(knob));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(knob.key() + " must be a whole number, was " + values.get(knob));
        }
        if (n < 1) {
            throw new IllegalArgumentException(knob.key() + " must be 1 or more, was " + n);
        }
        return n;
    }

    private static int percent(Map<Knob, String> values, Knob knob) {
        double n = number(values, knob);
        if (n > 100 || n != Math.rint(n)) {
            throw new IllegalArgumentException(knob.key() + " must be a whole percentage 0..100, was "
                    + values.get(knob));
        }
        return (int) n;
    }

    private static Duration seconds(Map<Knob, String> values, Knob knob) {
        return Duration.ofMillis(Math.round(number(values, knob) * 1000));
    }

    private static boolean bool(Map<Knob, String> values, Knob knob) {
        return switch (values.get(knob).toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(knob.key() + " must be true or false, was "
                    + values.get(knob));
        };
    }
}
