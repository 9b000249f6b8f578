package io.fanwire.gateway.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.fanwire.gateway.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys that may sign tokens: an HS256 secret and a PEM public key from the configuration, plus the keys
 * of a JWKS file that is re-read when its content changes. Every key carries exactly one algorithm, which
 * pins it: an HS256 token is never checked against an RSA key's bytes (algorithm confusion), and a key
 * listed for RS256 verifies nothing else. Only HS256, RS256 and ES256 (P-256) are accepted.
 *
 * <p>Thread-safety: {@link #get} runs on any event loop and reads one volatile snapshot; reloading runs on
 * this object's own daemon thread ({@code fanwire-jwks}), which {@link #close} stops. A JWKS file that
 * cannot be read or parsed keeps the previous keys and logs one warning per distinct failure.
 */
public final class VerificationKeys implements JWKSource<SecurityContext>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VerificationKeys.class);
    /** The algorithms Fanwire verifies; anything else in a token header is refused. */
    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.HS256, JWSAlgorithm.RS256,
            JWSAlgorithm.ES256);
    private static final int MIN_RSA_BITS = 2048;
    private static final int MIN_HMAC_BYTES = 32;
    private static final Map<KeyType, JWSAlgorithm.Family> FAMILY_OF = Map.of(
            KeyType.OCT, JWSAlgorithm.Family.HMAC_SHA, KeyType.RSA, JWSAlgorithm.Family.RSA,
            KeyType.EC, JWSAlgorithm.Family.EC);

    private final List<JWK> configured;
    private final Path jwksFile;
    private final ScheduledExecutorService reloader;
    private volatile JWKSet current;
    private byte[] lastFileContent;
    private String lastFailure;

    private VerificationKeys(List<JWK> configured, Path jwksFile) {
        this.configured = List.copyOf(configured);
        this.jwksFile = jwksFile;
        this.current = new JWKSet(this.configured);
        this.reloader = jwksFile == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "fanwire-jwks");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Loads the configured keys; a JWKS file must be readable and valid at start-up (later failures keep the
     * last good keys). Throws {@link ConfigException} naming the key that is wrong.
     *
     * @param hs256Secret   UTF-8 secret or null
     * @param publicKeyFile PEM file or null
     * @param jwksFile      JWKS file or null
     */
    public static VerificationKeys load(String hs256Secret, String publicKeyFile, String jwksFile,
                                        Duration reloadInterval) {
        List<JWK> keys = new ArrayList<>();
        if (hs256Secret != null) {
            keys.add(new OctetSequenceKey.Builder(hs256Secret.getBytes(StandardCharsets.UTF_8))
                    .algorithm(JWSAlgorithm.HS256).keyUse(KeyUse.SIGNATURE).build());
        }
        if (publicKeyFile != null) {
            keys.add(readPem(Path.of(publicKeyFile)));
        }
        VerificationKeys result = new VerificationKeys(keys, jwksFile == null ? null : Path.of(jwksFile));
        if (jwksFile != null) {
            try {
                result.reload();
            } catch (IOException | ParseException | IllegalArgumentException e) {
                result.close();
                throw new ConfigException("auth.jwks.file " + jwksFile + ": " + e.getMessage());
            }
            long every = reloadInterval.toMillis();
            result.reloader.scheduleWithFixedDelay(result::reloadQuietly, every, every, TimeUnit.MILLISECONDS);
        }
        return result;
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) {
        return selector.select(current);
    }

    /** How many keys can verify tokens right now. */
    public int size() {
        return current.size();
    }

    /** Re-reads the JWKS file if its content changed; throws when it cannot be used. */
    synchronized void reload() throws IOException, ParseException {
        byte[] content = Files.readAllBytes(jwksFile);
        if (Arrays.equals(content, lastFileContent)) {
            return;
        }
        JWKSet fromFile = JWKSet.parse(new String(content, StandardCharsets.UTF_8));
        List<JWK> keys = new ArrayList<>(configured);
        for (JWK key : fromFile.getKeys()) {
            keys.add(checked(key));
        }
        current = new JWKSet(keys);
        if (lastFileContent != null) {
            log.info("auth.jwks.file {} changed: {} keys now verify tokens", jwksFile, keys.size());
        }
        lastFileContent = content;
        lastFailure = null;
    }

    private void reloadQuietly() {
        try {
            reload();
        } catch (IOException | ParseException | IllegalArgumentException e) {
            String failure = e.toString();
            if (!failure.equals(lastFailure)) {
                lastFailure = failure;
                log.warn("auth.jwks.file {} not reloaded, the previous keys stay in use: {}", jwksFile,
                        e.getMessage());
            }
        }
    }

    /** The public, signature-only form of a JWKS key whose algorithm fits its type; else IllegalArgumentException. */
    private static JWK checked(JWK key) {
        String name = key.getKeyID() == null ? "a key without kid" : "key " + key.getKeyID();
        if (key.getAlgorithm() == null) {
            throw new IllegalArgumentException(name + " has no alg: every key must name HS256, RS256 or ES256");
        }
        JWSAlgorithm alg = JWSAlgorithm.parse(key.getAlgorithm().getName());
        if (!ALGORITHMS.contains(alg)) {
            throw new IllegalArgumentException(name + " has alg " + alg + "; accepted: HS256, RS256, ES256");
        }
        if (!FAMILY_OF.getOrDefault(key.getKeyType(), JWSAlgorithm.Family.ED).contains(alg)) {
            throw new IllegalArgumentException(name + " is a " + key.getKeyType() + " key but names alg " + alg);
        }
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
            throw new IllegalArgumentException(name + " has use " + key.getKeyUse() + ", not sig");
        }
        if (key instanceof RSAKey rsa && rsa.size() < MIN_RSA_BITS) {
            throw new IllegalArgumentException(name + " has " + rsa.size() + " bits; RS256 needs " + MIN_RSA_BITS);
        }
        if (key instanceof ECKey ec && !Curve.P_256.equals(ec.getCurve())) {
            throw new IllegalArgumentException(name + " is on curve " + ec.getCurve() + "; ES256 needs P-256");
        }
        if (key instanceof OctetSequenceKey oct && oct.toByteArray().length < MIN_HMAC_BYTES) {
            throw new IllegalArgumentException(name + " is shorter than " + MIN_HMAC_BYTES + " bytes");
        }
        return key instanceof OctetSequenceKey ? key : key.toPublicJWK();
    }

    private static JWK readPem(Path file) {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigException("auth.public.key.file " + file + " cannot be read: " + e.getMessage());
        }
        int begin = pem.indexOf("-----BEGIN PUBLIC KEY-----");
        int end = pem.indexOf("-----END PUBLIC KEY-----");
        if (begin < 0 || end < begin) {
            throw new ConfigException("auth.public.key.file " + file + " holds no PEM public key (BEGIN PUBLIC KEY)");
        }
        String base64 = pem.substring(begin + "-----BEGIN PUBLIC KEY-----".length(), end).replaceAll("\\s", "");
        X509EncodedKeySpec spec;
        try {
            spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("auth.public.key.file " + file + ": the PEM body is not base64");
        }
        PublicKey key = null;
        for (String type : List.of("RSA", "EC")) {
            try {
                key = KeyFactory.getInstance(type).generatePublic(spec);
                break;
            } catch (GeneralSecurityException e) {
                // try the next type
            }
        }
        try {
            if (key instanceof RSAPublicKey rsa) {
                return checked(new RSAKey.Builder(rsa).algorithm(JWSAlgorithm.RS256).keyUse(KeyUse.SIGNATURE).build());
            }
            if (key instanceof ECPublicKey ec) {
                Curve curve = Curve.forECParameterSpec(ec.getParams());
                if (!Curve.P_256.equals(curve)) {
                    throw new IllegalArgumentException("the EC key is on curve " + curve + "; ES256 needs P-256");
                }
                return checked(new ECKey.Builder(Curve.P_256, ec).algorithm(JWSAlgorithm.ES256)
                        .keyUse(KeyUse.SIGNATURE).build());
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException("auth.public.key.file " + file + ": " + e.getMessage());
        }
        throw new ConfigException("auth.public.key.file " + file + " is neither an RSA nor an EC public key");
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.shutdownNow();
        }
    }
}
