package io.fanwire.gateway.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One entry of the configuration catalog: a name, its type, its default, the range it must lie in and
 * the sentence that documents it. {@link ConfigKeys} holds every key; the reference page
 * {@code docs/configuration.md} is generated from it.
 *
 * <p>Immutable; any thread.
 */
public record ConfigKey(String name, Type type, String defaultValue, long min, long max, String doc) {

    /** The value types a key can have. */
    public enum Type { INT, LONG, BOOLEAN, STRING, LIST }

    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
        if (defaultValue != null) {
            parse(name, type, min, max, defaultValue);
        }
    }

    static ConfigKey of(String name, Type type, String defaultValue, String doc) {
        return new ConfigKey(name, type, defaultValue, Long.MIN_VALUE, Long.MAX_VALUE, doc);
    }

    static ConfigKey ranged(String name, Type type, String defaultValue, long min, long max, String doc) {
        return new ConfigKey(name, type, defaultValue, min, max, doc);
    }

    /** The environment variable that sets this key: {@code FANWIRE_} + the name upper-cased, dots as underscores. */
    public String envName() {
        return "FANWIRE_" + name.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** The command-line flag that sets this key: {@code --} + the name with dots as dashes. */
    public String flag() {
        return "--" + name.replace('.', '-');
    }

    /** Parses and validates {@code raw} for this key, or throws {@link ConfigException} naming the key. */
    public Object parse(String raw) {
        return parse(name, type, min, max, raw);
    }

    private static Object parse(String name, Type type, long min, long max, String raw) {
        String value = raw.trim();
        try {
            return switch (type) {
                case INT -> (int) inRange(name, Integer.parseInt(value), min, max);
                case LONG -> inRange(name, Long.parseLong(value), min, max);
                case BOOLEAN -> switch (value.toLowerCase(Locale.ROOT)) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> throw new ConfigException(name + " must be true or false, not '" + raw + "'");
                };
                case STRING -> value;
                case LIST -> list(value);
            };
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " must be a whole number, not '" + raw + "'");
        }
    }

    private static long inRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(name + " must be between " + min + " and " + max + ", not " + value);
        }
        return value;
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

    /** The range as the reference page shows it, or an empty string when the key has none. */
    public String rangeText() {
        if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) {
            return "";
        }
        return "[" + min + ", " + (max == Integer.MAX_VALUE || max == Long.MAX_VALUE ? "∞" : max) + "]";
    }

    static List<ConfigKey> list(ConfigKey... keys) {
        return List.copyOf(Arrays.asList(keys));
    }
}
