package io.fanwire.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * The {@code fanwire.channel} knob: {@code TOPIC} or {@code TOPIC/KEY}, where KEY may hold {@code {key}} (the
 * user number modulo the key spread), {@code {user}} (the user number) and {@code {sub}} (the user's token
 * subject). Gives each user its channel and the producer the keys those channels cover, so that every
 * produced record has subscribers.
 *
 * <p>Immutable; any thread.
 */
public record ChannelTemplate(String template, int keySpread) {

    /** Keys the producer spreads records over when every user takes the whole topic. */
    static final String WHOLE_TOPIC_KEY_PREFIX = "lt-";

    public ChannelTemplate {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException(Knob.CHANNEL.key() + " must name a channel, such as trades/lt-{key}");
        }
        int slash = template.indexOf('/');
        if (slash == 0 || slash == template.length() - 1) {
            throw new IllegalArgumentException(Knob.CHANNEL.key() + "=" + template
                    + " has an empty topic or key; write TOPIC or TOPIC/KEY");
        }
        if (keySpread < 1) {
            throw new IllegalArgumentException(Knob.KEYS.key() + " must be 1 or more, was " + keySpread);
        }
    }

    public String topic() {
        int slash = template.indexOf('/');
        return slash < 0 ? template : template.substring(0, slash);
    }

    /** True when every user subscribes to the whole topic. */
    public boolean wholeTopic() {
        return template.indexOf('/') < 0;
    }

    /** The channel of user {@code user} (0-based), whose token subject is {@code subject} (may be empty). */
    public String channelFor(int user, String subject) {
        if (wholeTopic()) {
            return template;
        }
        return topic() + "/" + keyFor(user, subject);
    }

    /**
     * The record keys the users' channels cover, each once, in a stable order: for a whole-topic channel,
     * {@code lt-0 … lt-(spread-1)}; else the KEY part for every user.
     */
    public List<String> keys(int users, IntFunction<String> subjects) {
        if (wholeTopic()) {
            List<String> keys = new ArrayList<>(keySpread);
            for (int i = 0; i < keySpread; i++) {
                keys.add(WHOLE_TOPIC_KEY_PREFIX + i);
            }
            return keys;
        }
        Set<String> keys = new LinkedHashSet<>();
        for (int user = 0; user < users; user++) {
            keys.add(keyFor(user, subjects.apply(user)));
        }
        return List.copyOf(keys);
    }

    private String keyFor(int user, String subject) {
        String keyTemplate = template.substring(template.indexOf('/') + 1);
        if (keyTemplate.contains("{sub}") && (subject == null || subject.isEmpty())) {
            throw new IllegalArgumentException(Knob.CHANNEL.key() + "=" + template
                    + " uses {sub}, but users have no token: set " + Knob.TOKEN_SECRET.key() + " or "
                    + Knob.TOKEN_FILE.key());
        }
        return keyTemplate.replace("{key}", Integer.toString(user % keySpread))
                .replace("{user}", Integer.toString(user))
                .replace("{sub}", subject == null ? "" : subject);
    }
}
