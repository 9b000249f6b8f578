package io.fanwire.gateway.codec;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The payload format of each served topic (key {@code payload.formats}, e.g. {@code quotes=json,notes=text}),
 * and the count of values that did not fit their topic's format and went out as base64 instead.
 *
 * <p>Immutable but for the counter; any thread.
 */
public final class PayloadFormats {

    private static final PayloadFormats NONE = new PayloadFormats(Map.of());

    private final Map<String, PayloadFormat> byTopic;
    private final LongAdder fallbacks = new LongAdder();

    private PayloadFormats(Map<String, PayloadFormat> byTopic) {
        this.byTopic = Map.copyOf(byTopic);
    }

    /** Every topic {@link PayloadFormat#BYTES}. */
    public static PayloadFormats none() {
        return NONE;
    }

    /**
     * Parses {@code TOPIC=FORMAT,...} (FORMAT {@code bytes}, {@code json} or {@code text}); a topic not named is
     * {@code bytes}. Empty: every topic {@code bytes}.
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    public static PayloadFormats parse(String spec) {
        Map<String, PayloadFormat> byTopic = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            if (eq <= 0 || eq == trimmed.length() - 1) {
                throw new IllegalArgumentException("'" + trimmed + "' is not TOPIC=FORMAT");
            }
            String topic = trimmed.substring(0, eq).trim();
            String format = trimmed.substring(eq + 1).trim().toUpperCase(Locale.ROOT);
            try {
                if (byTopic.put(topic, PayloadFormat.valueOf(format)) != null) {
                    throw new IllegalArgumentException("topic " + topic + " is named twice");
                }
            } catch (IllegalArgumentException e) {
                if (e.getMessage().startsWith("topic ")) {
                    throw e;
                }
                throw new IllegalArgumentException("'" + trimmed.substring(eq + 1).trim()
                        + "' is not a payload format (bytes, json or text)");
            }
        }
        return byTopic.isEmpty() ? NONE : new PayloadFormats(byTopic);
    }

    /** The format of {@code topic}'s values. */
    public PayloadFormat of(String topic) {
        return byTopic.getOrDefault(topic, PayloadFormat.BYTES);
    }

    /** The topics with a format other than bytes, for validation against the served topics. */
    public Map<String, PayloadFormat> named() {
        return byTopic;
    }

    /** A value did not fit its topic's format and was sent as base64 {@code payload}. */
    void fellBack() {
        fallbacks.increment();
    }

    /** How many values went out as base64 because they were not valid JSON (json) or UTF-8 (text). */
    public long fallbacks() {
        return fallbacks.sum();
    }
}
