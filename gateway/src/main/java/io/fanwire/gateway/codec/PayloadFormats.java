package io.fanwire.gateway.codec;

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
        Map<String, PayloadFormat> byTopic = TopicSettings.parse(spec, "TOPIC=FORMAT", (topic, format) -> {
            try {
                return PayloadFormat.valueOf(format.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + format + "' is not a payload format (bytes, json or text)");
            }
        });
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
