package io.fanwire.gateway.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * Decides who an upgrade request is: the bearer token from {@code Authorization: Bearer …} or, for browsers
 * that cannot set headers on a WebSocket, from the {@code access_token} query parameter (the header wins
 * when both are there). No token: {@link Principal#ANONYMOUS} where anonymous access is on, else refused.
 * A token that is present but not valid is always refused.
 *
 * <p>Immutable; any thread.
 *
 * @param verifier null when no key is configured (every token is then refused)
 */
public record Authenticator(TokenVerifier verifier, boolean anonymous) {

    /** The query parameter that carries a token for clients that cannot set headers. */
    public static final String TOKEN_PARAMETER = "access_token";

    /** The principal of {@code request}, or {@link AuthException} with the reason for a 401. */
    public Principal authenticate(HttpRequest request) throws AuthException {
        String token = token(request);
        if (token == null) {
            if (anonymous) {
                return Principal.ANONYMOUS;
            }
            throw new AuthException("a token is required: send Authorization: Bearer TOKEN or ?"
                    + TOKEN_PARAMETER + "=TOKEN");
        }
        return verify(token);
    }

    /** Verifies a token that arrived in a Refresh request. */
    public Principal verify(String token) throws AuthException {
        if (verifier == null) {
            throw new AuthException("this gateway verifies no tokens (no key is configured)");
        }
        return verifier.verify(token);
    }

    private static String token(HttpRequest request) throws AuthException {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header != null) {
            if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new AuthException("the Authorization header must be 'Bearer TOKEN'");
            }
            return header.substring(7).trim();
        }
        List<String> values = new QueryStringDecoder(request.uri()).parameters().get(TOKEN_PARAMETER);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new AuthException("more than one " + TOKEN_PARAMETER + " parameter");
        }
        return values.get(0);
    }
}
