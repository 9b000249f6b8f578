package io.fanwire.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Verifies a compact JWS token: the signature with nimbus-jose-jwt against {@link VerificationKeys} (only
 * HS256, RS256 and ES256, each key pinned to one; unsigned {@code alg: none} tokens are refused by the
 * processor), then the claims against {@code clock}: {@code exp} is required and must be in the future,
 * {@code nbf} (if present) in the past, both give or take {@code skew}; {@code iss} must equal the
 * configured issuer and {@code aud} contain the configured audience, when those are set.
 *
 * <p>Immutable apart from the keys' own reloading; any thread (the event loops call it during upgrades and
 * Refresh requests). Costs one signature check: microseconds for HS256, tens of them for RS256 and ES256.
 */
public final class TokenVerifier {

    /** Longest token accepted, in characters: a generous bound that keeps parsing cheap. */
    static final int MAX_TOKEN_CHARS = 8192;

    private final DefaultJWTProcessor<SecurityContext> processor;
    private final String issuer;
    private final String audience;
    private final Duration skew;
    private final Clock clock;

    public TokenVerifier(VerificationKeys keys, String issuer, String audience, Duration skew, Clock clock) {
        this.processor = new DefaultJWTProcessor<>();
        this.processor.setJWSKeySelector(new JWSVerificationKeySelector<>(VerificationKeys.ALGORITHMS, keys));
        // The claims are checked below, against the injected clock.
        this.processor.setJWTClaimsSetVerifier((claims, context) -> { });
        this.issuer = issuer;
        this.audience = audience;
        this.skew = skew;
        this.clock = clock;
    }

    /** The principal {@code token} names, or {@link AuthException} saying why it is not accepted. */
    public Principal verify(String token) throws AuthException {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new AuthException("the token is longer than " + MAX_TOKEN_CHARS + " characters");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new AuthException("the token is not a well-formed JWT");
        } catch (BadJOSEException e) {
            throw new AuthException("the token is not trusted: " + e.getMessage());
        } catch (JOSEException | RuntimeException e) {
            throw new AuthException("the token could not be verified");
        }
        try {
            return checked(claims);
        } catch (RuntimeException e) {
            // A claim of an unexpected type (for example a non-numeric exp) is a bad token, not a server fault.
            throw new AuthException("the token's claims are malformed");
        }
    }

    private Principal checked(JWTClaimsSet claims) throws AuthException {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new AuthException("the token has no exp claim");
        }
        if (!now.isBefore(exp.toInstant().plus(skew))) {
            throw new AuthException("the token has expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant().minus(skew))) {
            throw new AuthException("the token is not valid yet (nbf)");
        }
        if (issuer != null && !issuer.equals(claims.getIssuer())) {
            throw new AuthException("the token's issuer is not accepted");
        }
        if (audience != null && (claims.getAudience() == null || !claims.getAudience().contains(audience))) {
            throw new AuthException("the token's audience does not include this gateway");
        }
        return new Principal(true, claims.getSubject(), claims.getClaims(), exp.toInstant());
    }

    /** The tolerance on exp and nbf; a connection ends this long after its token's exp. */
    public Duration skew() {
        return skew;
    }

    public Clock clock() {
        return clock;
    }
}
