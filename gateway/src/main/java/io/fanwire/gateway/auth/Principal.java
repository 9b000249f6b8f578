package io.fanwire.gateway.auth;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is on a connection: the verified claims of its token, or {@link #ANONYMOUS}. Immutable; any thread.
 *
 * @param subject   the token's {@code sub}, or null (anonymous, or a token without one)
 * @param claims    every claim of the token with a value, as nimbus-jose-jwt parsed them (strings,
 *                  numbers, booleans, lists, maps; JSON nulls are left out)
 * @param expiresAt the token's {@code exp}, or null for anonymous connections
 */
public record Principal(boolean authenticated, String subject, Map<String, Object> claims, Instant expiresAt) {

    /** A connection that presented no token (only where {@code auth.anonymous} is true). */
    public static final Principal ANONYMOUS = new Principal(false, null, Map.of(), null);

    public Principal {
        Map<String, Object> present = new HashMap<>();
        claims.forEach((name, value) -> {
            if (value != null) {
                present.put(name, value);
            }
        });
        claims = Map.copyOf(present);
    }

    /**
     * True when claim {@code name} holds {@code value}: a string claim equal to it or, read as a
     * space-separated list (OAuth {@code scope} style), containing it; a list claim with a member equal to it;
     * a number or boolean whose text equals it.
     */
    public boolean hasClaim(String name, String value) {
        Object claim = claims.get(name);
        if (claim instanceof String text) {
            if (text.equals(value)) {
                return true;
            }
            for (String part : text.split(" ")) {
                if (part.equals(value)) {
                    return true;
                }
            }
            return false;
        }
        if (claim instanceof List<?> list) {
            for (Object member : list) {
                if (member != null && member.toString().equals(value)) {
                    return true;
                }
            }
            return false;
        }
        return claim != null && !(claim instanceof Map) && claim.toString().equals(value);
    }
}
