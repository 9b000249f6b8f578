package io.fanwire.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenSourceTest {

    private static final String SECRET = "a-secret-of-at-least-thirty-two-bytes!";

    @Test
    void mintsAnHs256TokenPerUserWithItsSubjectAndExpiry() throws Exception {
        Clock clock = Clock.fixed(Instant.ofEpochSecond(1_800_000_000), ZoneOffset.UTC);
        TokenSource tokens = TokenSource.hs256(SECRET, "user-{user}", Duration.ofMinutes(5), clock);
        String token = tokens.tokenFor(7).orElseThrow();
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);
        Base64.Decoder b64 = Base64.getUrlDecoder();
        assertEquals("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", new String(b64.decode(parts[0]), StandardCharsets.UTF_8));
        assertEquals("{\"sub\":\"user-7\",\"iat\":1800000000,\"exp\":1800000300}",
                new String(b64.decode(parts[1]), StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertArrayEquals(mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII)),
                b64.decode(parts[2]));
        assertEquals("user-7", tokens.subjectFor(7));
        assertEquals("user-7", TokenSource.subjectOf(token));
    }

    @Test
    void aShortSecretIsRefusedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> TokenSource.hs256("short", "u", Duration.ofMinutes(1), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("at least 32"), e.getMessage());
    }

    @Test
    void aTokenFileGivesLineUserModNAndItsSubject(@TempDir Path dir) throws Exception {
        TokenSource minted = TokenSource.hs256(SECRET, "s{user}", Duration.ofMinutes(5), Clock.systemUTC());
        Path file = dir.resolve("tokens");
        Files.write(file, List.of(minted.tokenFor(0).orElseThrow(), "", minted.tokenFor(1).orElseThrow()));
        TokenSource tokens = TokenSource.file(file);
        assertEquals(minted.tokenFor(1).map(TokenSource::subjectOf), tokens.tokenFor(3).map(TokenSource::subjectOf));
        assertEquals("s0", tokens.subjectFor(2));
    }

    @Test
    void noTokensMeansNoHeader() {
        assertTrue(TokenSource.none().tokenFor(0).isEmpty());
        assertEquals("", TokenSource.none().subjectFor(0));
    }

    @Test
    void subjectsAreJsonEscaped() {
        assertEquals("\"a\\\"b\\\\c\\u0001\"", TokenSource.jsonString("a\"b\\c\u0001"));
    }
}
