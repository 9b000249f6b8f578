package io.fanwire.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.testing.TestTokens;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenVerifierTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Duration SKEW = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static JWTClaimsSet claims(String sub, Instant exp) {
        return new JWTClaimsSet.Builder().subject(sub).expirationTime(Date.from(exp)).build();
    }

    private TokenVerifier verifier(VerificationKeys keys, String issuer, String audience) {
        return new TokenVerifier(keys, issuer, audience, SKEW, CLOCK);
    }

    private static String hs256(JWTClaimsSet claims) {
        return TestTokens.sign(JWSAlgorithm.HS256, null, TestTokens.macSigner(TestTokens.SECRET), claims);
    }

    private VerificationKeys jwks(Object... keys) throws Exception {
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, new JWKSet(List.of(java.util.Arrays.copyOf(keys, keys.length,
                com.nimbusds.jose.jwk.JWK[].class))).toString(false));
        return VerificationKeys.load(null, null, file.toString(), Duration.ofHours(1));
    }

    @Test
    void acceptsHs256Rs256AndEs256SignedByTheirKeys() throws Exception {
        try (VerificationKeys keys = VerificationKeys.load(TestTokens.SECRET, null, null, Duration.ofHours(1));
             VerificationKeys fromJwks = jwks(TestTokens.RSA, TestTokens.EC)) {
            Principal p = verifier(keys, null, null).verify(hs256(claims("alice", NOW.plusSeconds(60))));
            assertEquals("alice", p.subject());
            assertTrue(p.authenticated());
            assertEquals(NOW.plusSeconds(60), p.expiresAt());
            TokenVerifier v = verifier(fromJwks, null, null);
            assertEquals("bob", v.verify(TestTokens.rs256(TestTokens.RSA, claims("bob", NOW.plusSeconds(60)))).subject());
            assertEquals("carol", v.verify(TestTokens.es256(TestTokens.EC, claims("carol", NOW.plusSeconds(60)))).subject());
            assertEquals(2, fromJwks.size(), "private parts are dropped, the keys stay");
        }
    }

    @Test
    void refusesUnsignedWrongKeyAndAlgorithmConfusion() throws Exception {
        try (VerificationKeys keys = jwks(TestTokens.RSA)) {
            TokenVerifier v = verifier(keys, null, null);
            String none = new PlainJWT(claims("eve", NOW.plusSeconds(60))).serialize();
            assertThrows(AuthException.class, () -> v.verify(none));
            // HS256 keyed with the RSA public key's bytes: the classic confusion attack.
            byte[] publicBytes = TestTokens.RSA.toPublicJWK().toRSAPublicKey().getEncoded();
            String confused = TestTokens.sign(JWSAlgorithm.HS256, "rsa-1", new MACSigner(publicBytes),
                    claims("eve", NOW.plusSeconds(60)));
            assertThrows(AuthException.class, () -> v.verify(confused));
            RSAKey other = TestTokens.generateRsa("rsa-1");
            assertThrows(AuthException.class, () -> v.verify(TestTokens.rs256(other, claims("eve", NOW.plusSeconds(60)))));
            String valid = TestTokens.rs256(TestTokens.RSA, claims("bob", NOW.plusSeconds(60)));
            String[] parts = valid.split("\\.");
            String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                    "{\"sub\":\"admin\",\"exp\":9999999999}".getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
            assertThrows(AuthException.class, () -> v.verify(tampered));
            assertThrows(AuthException.class, () -> v.verify("not.a.jwt"));
            assertThrows(AuthException.class, () -> v.verify(""));
            assertThrows(AuthException.class, () -> v.verify("x".repeat(TokenVerifier.MAX_TOKEN_CHARS + 1)));
        }
    }

    @Test
    void anEs256KeyDoesNotVerifyAnRs256TokenWithItsKid() throws Exception {
        ECKey ec = TestTokens.generateEc("shared-kid");
        try (VerificationKeys keys = jwks(ec)) {
            RSAKey rsa = TestTokens.generateRsa("shared-kid");
            assertThrows(AuthException.class, () -> verifier(keys, null, null)
                    .verify(TestTokens.rs256(rsa, claims("eve", NOW.plusSeconds(60)))));
        }
    }

    @Test
    void timeClaimsAreCheckedWithTheSkew() throws Exception {
        try (VerificationKeys keys = VerificationKeys.load(TestTokens.SECRET, null, null, Duration.ofHours(1))) {
            TokenVerifier v = verifier(keys, null, null);
            v.verify(hs256(claims("a", NOW.minusSeconds(29))));
            assertEquals("the token has expired",
                    assertThrows(AuthException.class, () -> v.verify(hs256(claims("a", NOW.minusSeconds(31)))))
                            .getMessage());
            JWTClaimsSet early = new JWTClaimsSet.Builder(claims("a", NOW.plusSeconds(600)))
                    .notBeforeTime(Date.from(NOW.plusSeconds(31))).build();
            assertThrows(AuthException.class, () -> v.verify(hs256(early)));
            JWTClaimsSet almost = new JWTClaimsSet.Builder(claims("a", NOW.plusSeconds(600)))
                    .notBeforeTime(Date.from(NOW.plusSeconds(29))).build();
            v.verify(hs256(almost));
            JWTClaimsSet noExp = new JWTClaimsSet.Builder().subject("a").build();
            assertThrows(AuthException.class, () -> v.verify(hs256(noExp)));
        }
    }

    @Test
    void issuerAndAudienceMustMatchWhenConfigured() throws Exception {
        try (VerificationKeys keys = VerificationKeys.load(TestTokens.SECRET, null, null, Duration.ofHours(1))) {
            TokenVerifier v = verifier(keys, "https://issuer", "fanwire");
            JWTClaimsSet good = new JWTClaimsSet.Builder(claims("a", NOW.plusSeconds(60)))
                    .issuer("https://issuer").audience(List.of("other", "fanwire")).build();
            v.verify(hs256(good));
            assertThrows(AuthException.class, () -> v.verify(hs256(new JWTClaimsSet.Builder(good)
                    .issuer("https://evil").build())));
            assertThrows(AuthException.class, () -> v.verify(hs256(new JWTClaimsSet.Builder(good)
                    .audience("other").build())));
            assertThrows(AuthException.class, () -> v.verify(hs256(claims("a", NOW.plusSeconds(60)))));
        }
    }

    @Test
    void aChangedJwksFileIsReloadedAndABrokenOneKeepsTheOldKeys() throws Exception {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, new JWKSet(TestTokens.RSA).toString(false));
        try (VerificationKeys keys = VerificationKeys.load(null, null, file.toString(), Duration.ofHours(1))) {
            TokenVerifier v = verifier(keys, null, null);
            String byEc = TestTokens.es256(TestTokens.EC, claims("c", NOW.plusSeconds(60)));
            assertThrows(AuthException.class, () -> v.verify(byEc));

            Files.writeString(file, new JWKSet(List.of(TestTokens.RSA, TestTokens.EC)).toString(false));
            keys.reload();
            assertEquals("c", v.verify(byEc).subject());

            Files.writeString(file, "{\"keys\": [ broken");
            assertThrows(java.text.ParseException.class, keys::reload);
            assertEquals("c", v.verify(byEc).subject(), "the last good keys stay in use");
        }
    }

    @Test
    void keysWithoutAlgOrWithTheWrongAlgAreRefusedAtLoad() throws Exception {
        RSAKey noAlg = new RSAKey.Builder(TestTokens.RSA.toRSAPublicKey()).keyID("x").build();
        assertThrows(ConfigException.class, () -> jwks(noAlg));
        RSAKey wrongAlg = new RSAKey.Builder(TestTokens.RSA.toRSAPublicKey()).keyID("y")
                .algorithm(JWSAlgorithm.ES256).build();
        assertThrows(ConfigException.class, () -> jwks(wrongAlg));
        RSAKey rs512 = new RSAKey.Builder(TestTokens.RSA.toRSAPublicKey()).keyID("z")
                .algorithm(JWSAlgorithm.RS512).build();
        assertThrows(ConfigException.class, () -> jwks(rs512));
    }

    @Test
    void pemPublicKeysArePinnedByType() throws Exception {
        Path rsaPem = dir.resolve("rsa.pem");
        Files.writeString(rsaPem, pem(TestTokens.RSA.toRSAPublicKey().getEncoded()));
        Path ecPem = dir.resolve("ec.pem");
        Files.writeString(ecPem, pem(TestTokens.EC.toECPublicKey().getEncoded()));
        JWTClaimsSet c = claims("p", NOW.plusSeconds(60));
        try (VerificationKeys rsa = VerificationKeys.load(null, rsaPem.toString(), null, Duration.ofHours(1));
             VerificationKeys ec = VerificationKeys.load(null, ecPem.toString(), null, Duration.ofHours(1))) {
            // PEM keys have no kid: tokens without a kid header are checked against them.
            RSAKey rsaNoKid = new RSAKey.Builder(TestTokens.RSA).keyID(null).build();
            ECKey ecNoKid = new ECKey.Builder(TestTokens.EC).keyID(null).build();
            assertEquals("p", verifier(rsa, null, null).verify(TestTokens.rs256(rsaNoKid, c)).subject());
            assertEquals("p", verifier(ec, null, null).verify(TestTokens.es256(ecNoKid, c)).subject());
            assertThrows(AuthException.class, () -> verifier(rsa, null, null).verify(TestTokens.es256(ecNoKid, c)));
        }
        Path junk = dir.resolve("junk.pem");
        Files.writeString(junk, "hello");
        assertThrows(ConfigException.class, () -> VerificationKeys.load(null, junk.toString(), null, Duration.ofHours(1)));
    }

    private static String pem(byte[] der) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    }

    @Test
    void claimsAreKept() throws Exception {
        try (VerificationKeys keys = VerificationKeys.load(TestTokens.SECRET, null, null, Duration.ofHours(1))) {
            JWTClaimsSet c = new JWTClaimsSet.Builder(claims("a", NOW.plusSeconds(60)))
                    .claim("roles", List.of("trader")).build();
            Principal p = verifier(keys, null, null).verify(hs256(c));
            assertTrue(p.hasClaim("roles", "trader"));
            assertEquals(Map.of(), Principal.ANONYMOUS.claims());
        }
    }
}
