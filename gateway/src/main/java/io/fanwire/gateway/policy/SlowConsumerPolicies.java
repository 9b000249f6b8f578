package io.fanwire.gateway.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which {@link SlowConsumerPolicy} applies to which records: an ordered list of {@code pattern=policy} rules,
 * as written in {@code slow.consumer.policy}, for example {@code quotes*=conflate,inbox=disconnect,*=drop}.
 *
 * <p>The first rule whose pattern matches wins; a record no rule matches gets {@link SlowConsumerPolicy#DISCONNECT},
 * the lossless choice: the client resumes from the positions of its {@code GoAway}.
 * A pattern without {@code /} is matched against the record's topic; a pattern with {@code /} against its
 * channel, {@code TOPIC/KEY} ({@code TOPIC} for a keyless record). {@code *} matches any run of characters,
 * {@code /} included; every other character matches itself.
 *
 * <p>Immutable; any thread. Lookups happen only for connections that are behind, never on the path of a
 * healthy connection; results that depend on the topic alone are cached.
 */
public final class SlowConsumerPolicies {

    private record Rule(String pattern, SlowConsumerPolicy policy, boolean matchesChannel) {
    }

    private final List<Rule> rules;
    private final boolean topicOnly;
    private final Map<String, SlowConsumerPolicy> byTopic = new ConcurrentHashMap<>();

    private SlowConsumerPolicies(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        this.topicOnly = rules.stream().noneMatch(Rule::matchesChannel);
    }

    /** The same policy for every record. */
    public static SlowConsumerPolicies always(SlowConsumerPolicy policy) {
        return new SlowConsumerPolicies(List.of(new Rule("*", policy, false)));
    }

    /**
     * Parses {@code pattern=policy[,pattern=policy...]}; throws {@link IllegalArgumentException} with a
     * sentence naming the bad rule.
     */
    public static SlowConsumerPolicies parse(String text) {
        List<Rule> rules = new ArrayList<>();
        for (String item : text.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            int eq = item.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("rule '" + item.trim() + "' is not pattern=policy");
            }
            String pattern = item.substring(0, eq).trim();
            if (pattern.isEmpty()) {
                throw new IllegalArgumentException("rule '" + item.trim() + "' has an empty pattern");
            }
            rules.add(new Rule(pattern, SlowConsumerPolicy.parse(item.substring(eq + 1).trim()),
                    pattern.indexOf('/') >= 0));
        }
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("no rules: write at least one pattern=policy, e.g. *=conflate");
        }
        return new SlowConsumerPolicies(rules);
    }

    /** The policy for a record of {@code topic} with {@code key} (null when keyless). */
    public SlowConsumerPolicy policyFor(String topic, String key) {
        if (topicOnly) {
            return byTopic.computeIfAbsent(topic, t -> match(t, t));
        }
        return match(topic, key == null ? topic : topic + '/' + key);
    }

    private SlowConsumerPolicy match(String topic, String channel) {
        for (Rule rule : rules) {
            if (Glob.matches(rule.pattern, rule.matchesChannel ? channel : topic)) {
                return rule.policy;
            }
        }
        return SlowConsumerPolicy.DISCONNECT;
    }

    /** The rules in configuration syntax. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Rule rule : rules) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(rule.pattern).append('=').append(rule.policy.configName());
        }
        return text.toString();
    }

    /** {@code *}-only glob matching, linear in the text for the usual patterns. */
    static final class Glob {

        private Glob() {
        }

        static boolean matches(String pattern, String text) {
            int p = 0;
            int t = 0;
            int star = -1;
            int resume = 0;
            while (t < text.length()) {
                if (p < pattern.length() && pattern.charAt(p) == '*') {
                    star = p++;
                    resume = t;
                } else if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
                    p++;
                    t++;
                } else if (star >= 0) {
                    p = star + 1;
                    t = ++resume;
                } else {
                    return false;
                }
            }
            while (p < pattern.length() && pattern.charAt(p) == '*') {
                p++;
            }
            return p == pattern.length();
        }
    }
}
