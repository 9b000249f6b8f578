package io.fanwire.gateway.codec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The parser of per-topic settings written {@code TOPIC=VALUE,...} ({@code payload.formats},
 * {@code ws.compression.topic.min.bytes}): entries separated by commas, blanks around them ignored, each topic
 * named once. Stateless; any thread.
 */
final class TopicSettings {

    private TopicSettings() {
    }

    /**
     * Parses {@code spec} into topic → value, in the order written; empty entries are skipped.
     *
     * @param form  how an entry is written, for the error message (e.g. {@code TOPIC=FORMAT})
     * @param value turns a topic and its value text into the value; throws {@link IllegalArgumentException}
     *              naming what is wrong
     * @throws IllegalArgumentException naming the bad entry
     */
    static <V> Map<String, V> parse(String spec, String form, BiFunction<String, String, V> value) {
        Map<String, V> byTopic = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            if (eq <= 0 || eq == trimmed.length() - 1) {
                throw new IllegalArgumentException("'" + trimmed + "' is not " + form);
            }
            String topic = trimmed.substring(0, eq).trim();
            if (byTopic.put(topic, value.apply(topic, trimmed.substring(eq + 1).trim())) != null) {
                throw new IllegalArgumentException("topic " + topic + " is named twice");
            }
        }
        return byTopic;
    }
}
