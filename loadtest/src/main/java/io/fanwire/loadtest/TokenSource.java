package io.fanwire.loadtest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The token each virtual user presents at the upgrade (PROTOCOL.md §1.3): none (dev mode), an HS256 JWT
 * minted per user with its own {@code sub} from the gateway's shared secret, or the lines of a token file
 * issued by the operator's identity provider. Per-user subjects are what make per-user access rules such as
 * {@code subscribe inbox/{sub} authenticated} load-testable.
 *
 * <p>Immutable; any thread. Minting is one HMAC-SHA256 per call.
 */
public final class TokenSource {

    /** docs/security.md: the gateway refuses a shorter HS256 secret. */
    static final int MIN_SECRET_BYTES = 32;

    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final String HS256_HEADER = B64URL.encodeToString(
            "{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final byte[] secret;
    private final String subjectTemplate;
    private final Duration ttl;
    private final List<String> fileTokens;
    private final Clock clock;

    private TokenSource(byte[] secret, String subjectTemplate, Duration ttl, List<String> fileTokens, Clock clock) {
        this.secret = secret;
        this.subjectTemplate = subjectTemplate;
        this.ttl = ttl;
        this.fileTokens = fileTokens;
        this.clock = clock;
    }

    /** Users connect without a token. */
    public static TokenSource none() {
        return new TokenSource(null, "", Duration.ZERO, List.of(), Clock.systemUTC());
    }

    /** Mints an HS256 token per user: {@code sub} from {@code subjectTemplate} ({@code {user}}), {@code exp}. */
    public static TokenSource hs256(String secret, String subjectTemplate, Duration ttl, Clock clock) {
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(Knob.TOKEN_SECRET.key() + " has " + key.length
                    + " bytes; an HS256 secret has at least " + MIN_SECRET_BYTES + ", as the gateway requires");
        }
        if (subjectTemplate.isBlank()) {
            throw new IllegalArgumentException(Knob.TOKEN_SUBJECT.key() + " must not be empty");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException(Knob.TOKEN_TTL.key() + " must be positive");
        }
        return new TokenSource(key, subjectTemplate, ttl, List.of(), clock);
    }

    /** Reads one token per non-blank line of {@code file}; user i takes line i mod n. */
    public static TokenSource file(Path file) {
        List<String> tokens;
        try {
            tokens = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::trim)
                    .filter(line -> !line.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(Knob.TOKEN_FILE.key() + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException(Knob.TOKEN_FILE.key() + ": " + file + " holds no token");
        }
        return new TokenSource(null, "", Duration.ZERO, tokens, Clock.systemUTC());
    }

    /** The token of user {@code user} (0-based), if users have tokens. */
    public Optional<String> tokenFor(int user) {
        if (!fileTokens.isEmpty()) {
            return Optional.of(fileTokens.get(user % fileTokens.size()));
        }
        if (secret == null) {
            return Optional.empty();
        }
        long now = clock.millis() / 1000;
        String claims = "{\"sub\":" + jsonString(subjectFor(user)) + ",\"iat\":" + now + ",\"exp\":"
                + (now + ttl.toSeconds()) + "}";
        String signingInput = HS256_HEADER + "." + B64URL.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        return Optional.of(signingInput + "." + B64URL.encodeToString(hmacSha256(signingInput)));
    }

    /** The subject of user {@code user}'s token; empty without tokens. */
    public String subjectFor(int user) {
        if (!fileTokens.isEmpty()) {
            return subjectOf(fileTokens.get(user % fileTokens.size()));
        }
        return secret == null ? "" : subjectTemplate.replace("{user}", Integer.toString(user));
    }

    /** The {@code sub} claim of a compact JWS, or empty when it has none or cannot be read. */
    static String subjectOf(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return "";
        }
        try {
            Struct.Builder claims = Struct.newBuilder();
            JsonFormat.parser().merge(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8),
                    claims);
            Value sub = claims.getFieldsMap().get("sub");
            return sub == null ? "" : sub.getStringValue();
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
            return "";
        }
    }

    private byte[] hmacSha256(String signingInput) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** {@code value} as a JSON string literal (RFC 8259 §7). */
    static String jsonString(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
