package io.fanwire.gateway.auth;

import io.fanwire.gateway.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Who may subscribe to or publish on which channels: an ordered list of rules {@code ACTION PATTERN WHO}
 * (key {@code auth.rules}, rules separated by {@code ;}). The first rule whose action and pattern match a
 * request decides it: allowed when its WHO admits the connection's {@link Principal}, else refused. A request
 * that no rule matches is refused.
 *
 * <ul>
 *   <li>ACTION: {@code subscribe}, {@code publish} or {@code any}.</li>
 *   <li>PATTERN: a channel in which {@code *} matches any run of characters ({@code /} included) and
 *       {@code {sub}} the principal's subject, taken literally (a subject {@code *} matches only {@code *}).
 *       A pattern with {@code {sub}} never matches for a principal without a subject.</li>
 *   <li>WHO: {@code anyone} (anonymous connections too), {@code authenticated} (a valid token),
 *       {@code nobody}, or {@code claim:NAME=VALUE} (a token whose claim holds VALUE, see
 *       {@link Principal#hasClaim}).</li>
 * </ul>
 *
 * <p>Immutable; any thread. Matching allocates nothing.
 */
public final class AccessRules {

    /** What a request wants to do with a channel. */
    public enum Action { SUBSCRIBE, PUBLISH }

    private static final String SUBJECT = "{sub}";

    private final List<Rule> rules;

    private AccessRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** Parses {@code auth.rules}; throws {@link ConfigException} that quotes the bad rule. */
    public static AccessRules parse(String text) {
        List<Rule> rules = new ArrayList<>();
        for (String line : text.split("[;\n]")) {
            String rule = line.trim();
            if (rule.isEmpty()) {
                continue;
            }
            String[] parts = rule.split("\\s+");
            if (parts.length != 3) {
                throw new ConfigException("auth.rules: '" + rule + "' is not ACTION PATTERN WHO");
            }
            Action action = switch (parts[0].toLowerCase(Locale.ROOT)) {
                case "subscribe" -> Action.SUBSCRIBE;
                case "publish" -> Action.PUBLISH;
                case "any" -> null;
                default -> throw new ConfigException("auth.rules: '" + rule
                        + "': the action must be subscribe, publish or any");
            };
            rules.add(new Rule(action, parts[1], who(rule, parts[2])));
        }
        return new AccessRules(rules);
    }

    private static Who who(String rule, String text) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "anyone":
                return new Who(Who.Kind.ANYONE, null, null);
            case "authenticated":
                return new Who(Who.Kind.AUTHENTICATED, null, null);
            case "nobody":
                return new Who(Who.Kind.NOBODY, null, null);
            default:
                int eq = text.indexOf('=');
                if (text.startsWith("claim:") && eq > "claim:".length() && eq < text.length() - 1) {
                    return new Who(Who.Kind.CLAIM, text.substring("claim:".length(), eq), text.substring(eq + 1));
                }
                throw new ConfigException("auth.rules: '" + rule
                        + "': WHO must be anyone, authenticated, nobody or claim:NAME=VALUE");
        }
    }

    /** True when {@code principal} may do {@code action} on {@code channel}. */
    public boolean allows(Action action, String channel, Principal principal) {
        for (Rule rule : rules) {
            if ((rule.action == null || rule.action == action)
                    && matches(rule.pattern, 0, channel, 0, principal.subject())) {
                return rule.who.admits(principal);
            }
        }
        return false;
    }

    /**
     * Glob match of {@code pattern} from {@code p} against {@code channel} from {@code c}, with {@code {sub}}
     * standing for {@code subject} taken literally. Backtracks only at {@code *}; patterns come from the
     * operator and are short.
     */
    private static boolean matches(String pattern, int p, String channel, int c, String subject) {
        while (p < pattern.length()) {
            char ch = pattern.charAt(p);
            if (ch == '*') {
                for (int from = c; from <= channel.length(); from++) {
                    if (matches(pattern, p + 1, channel, from, subject)) {
                        return true;
                    }
                }
                return false;
            }
            if (pattern.startsWith(SUBJECT, p)) {
                if (subject == null || !channel.startsWith(subject, c)) {
                    return false;
                }
                p += SUBJECT.length();
                c += subject.length();
                continue;
            }
            if (c >= channel.length() || channel.charAt(c) != ch) {
                return false;
            }
            p++;
            c++;
        }
        return c == channel.length();
    }

    private record Rule(Action action, String pattern, Who who) {
    }

    private record Who(Kind kind, String claim, String value) {
        enum Kind { ANYONE, AUTHENTICATED, NOBODY, CLAIM }

        boolean admits(Principal principal) {
            return switch (kind) {
                case ANYONE -> true;
                case AUTHENTICATED -> principal.authenticated();
                case NOBODY -> false;
                case CLAIM -> principal.authenticated() && principal.hasClaim(claim, value);
            };
        }
    }
}
