package io.fanwire.client;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When to send a {@code Refresh}: reads {@code exp} from a JWT's payload (the signature is the gateway's
 * business) and picks a moment before it. Stateless; any thread.
 */
final class TokenRefresh {

    private static final Pattern EXP = Pattern.compile("\"exp\"\\s*:\\s*(\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)");
    /** Refresh at least this long before {@code exp} when the token lives long enough for it. */
    static final long MARGIN_MS = 30_000;

    private TokenRefresh() {
    }

    /** The token's {@code exp} in epoch milliseconds, or empty when it is not a JWT with a numeric {@code exp}. */
    static OptionalLong expiresAtMillis(String token) {
        if (token == null) {
            return OptionalLong.empty();
        }
        String[] parts = token.split("\\.");
        if (parts.length < 2) {
            return OptionalLong.empty();
        }
        try {
            String payload = new String(Base64.getUrlDecoder().decode(parts[1].replace('+', '-').replace('/', '_')
                    .replace("=", "")), StandardCharsets.UTF_8);
            Matcher m = EXP.matcher(payload);
            if (!m.find()) {
                return OptionalLong.empty();
            }
            return OptionalLong.of((long) (Double.parseDouble(m.group(1)) * 1000));
        } catch (IllegalArgumentException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * How long from {@code nowMs} until a token expiring at {@code expMs} should be refreshed: at 80% of its
     * remaining lifetime or 30 s before {@code exp}, whichever comes first, but not before half its remaining
     * lifetime (so a short-lived token is not refreshed in a loop); -1 when it has already expired.
     */
    static long delayMs(long nowMs, long expMs) {
        long life = expMs - nowMs;
        if (life <= 0) {
            return -1;
        }
        long first = Math.min(life * 8 / 10, life - MARGIN_MS);
        return Math.max(first, life / 2);
    }
}
