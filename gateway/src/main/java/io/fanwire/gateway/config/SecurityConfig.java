package io.fanwire.gateway.config;

import java.time.Duration;

/**
 * Who may connect and what they may do: token verification, access rules and the admin token. Immutable
 * and validated when built; any thread. docs/security.md explains each part.
 *
 * @param anonymous      upgrades without a token are accepted
 * @param hs256Secret    HS256 shared secret, or null
 * @param publicKeyFile  PEM public key (RS256 or ES256), or null
 * @param jwksFile       JWKS file, re-read when it changes, or null
 * @param issuer         required {@code iss}, or null
 * @param audience       required member of {@code aud}, or null
 * @param rules          access rules in the {@code auth.rules} syntax
 * @param adminToken     bearer token for state-changing admin requests, or null (they are refused)
 * @param tlsCertFile    PEM certificate chain, or null for plain TCP
 * @param tlsKeyFile     PEM private key, or null
 * @param adminTls       the admin listener uses TLS too when it is configured
 */
public record SecurityConfig(
        boolean anonymous,
        String hs256Secret,
        String publicKeyFile,
        String jwksFile,
        Duration jwksReload,
        String issuer,
        String audience,
        Duration clockSkew,
        String rules,
        String adminToken,
        String tlsCertFile,
        String tlsKeyFile,
        boolean adminTls) {

    /** HS256 needs a key of at least 256 bits (RFC 7518 §3.2). */
    private static final int MIN_HS256_SECRET_BYTES = 32;

    public SecurityConfig {
        hs256Secret = blankToNull(hs256Secret);
        publicKeyFile = blankToNull(publicKeyFile);
        jwksFile = blankToNull(jwksFile);
        issuer = blankToNull(issuer);
        audience = blankToNull(audience);
        adminToken = blankToNull(adminToken);
        tlsCertFile = blankToNull(tlsCertFile);
        tlsKeyFile = blankToNull(tlsKeyFile);
        if ((tlsCertFile == null) != (tlsKeyFile == null)) {
            throw new ConfigException("tls.cert.file and tls.key.file go together: set both or neither");
        }
        if (hs256Secret != null
                && hs256Secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < MIN_HS256_SECRET_BYTES) {
            throw new ConfigException("auth.hs256.secret must be at least " + MIN_HS256_SECRET_BYTES
                    + " bytes long (HS256 needs a 256-bit key)");
        }
    }

    /** Throws unless clients can get in: anonymously, or with a token some configured key verifies. */
    void requireAWayIn() {
        if (!anonymous && !verifiesTokens()) {
            throw new ConfigException("auth.anonymous is false but no token key is configured: set "
                    + "auth.hs256.secret, auth.public.key.file or auth.jwks.file (or auth.anonymous=true to let "
                    + "clients in without a token)");
        }
    }

    /** True when the listeners use TLS. */
    public boolean tls() {
        return tlsCertFile != null;
    }

    /** True when some key can verify tokens. */
    public boolean verifiesTokens() {
        return hasKeys(hs256Secret, publicKeyFile, jwksFile);
    }

    private static boolean hasKeys(String secret, String publicKeyFile, String jwksFile) {
        return secret != null || publicKeyFile != null || jwksFile != null;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    @Override
    public String toString() {
        // Secrets stay out of logs and exception messages.
        return "SecurityConfig[anonymous=" + anonymous + ", hs256Secret=" + (hs256Secret == null ? "unset" : "set")
                + ", publicKeyFile=" + publicKeyFile + ", jwksFile=" + jwksFile + ", issuer=" + issuer
                + ", audience=" + audience + ", clockSkew=" + clockSkew + ", rules=" + rules + ", adminToken="
                + (adminToken == null ? "unset" : "set") + ", tlsCertFile=" + tlsCertFile + ", adminTls=" + adminTls
                + "]";
    }
}
