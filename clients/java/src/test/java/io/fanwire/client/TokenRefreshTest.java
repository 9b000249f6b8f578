package io.fanwire.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class TokenRefreshTest {

    private static String jwt(String payloadJson) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    @Test
    void readsExpFromTheTokensPayload() {
        assertEquals(OptionalLong.of(1_764_130_000_000L),
                TokenRefresh.expiresAtMillis(jwt("{\"sub\":\"alice\",\"exp\":1764130000}")));
        assertEquals(OptionalLong.of(1_764_130_000_500L),
                TokenRefresh.expiresAtMillis(jwt("{\"exp\": 1764130000.5, \"sub\":\"a\"}")));
    }

    @Test
    void aTokenWithoutExpOrNotAJwtIsNeverRefreshed() {
        assertEquals(OptionalLong.empty(), TokenRefresh.expiresAtMillis(jwt("{\"sub\":\"alice\"}")));
        assertEquals(OptionalLong.empty(), TokenRefresh.expiresAtMillis("opaque-api-key"));
        assertEquals(OptionalLong.empty(), TokenRefresh.expiresAtMillis("a.%%%.b"));
        assertEquals(OptionalLong.empty(), TokenRefresh.expiresAtMillis(null));
    }

    @Test
    void anHourTokenIsRefreshedAtEightyPercent() {
        long now = 1_000_000;
        assertEquals(2_880_000, TokenRefresh.delayMs(now, now + 3_600_000));
    }

    @Test
    void aMinuteTokenIsRefreshedThirtySecondsBeforeExp() {
        long now = 5_000;
        assertEquals(30_000, TokenRefresh.delayMs(now, now + 60_000));
        assertEquals(70_000, TokenRefresh.delayMs(now, now + 100_000));
    }

    @Test
    void aShortTokenIsRefreshedAtHalfItsLifeNotInALoop() {
        long now = 42;
        assertEquals(2_000, TokenRefresh.delayMs(now, now + 4_000));
        assertEquals(10_000, TokenRefresh.delayMs(now, now + 20_000));
        assertTrue(TokenRefresh.delayMs(now, now + 1) >= 0);
    }

    @Test
    void anExpiredTokenIsNotScheduled() {
        assertEquals(-1, TokenRefresh.delayMs(10_000, 10_000));
        assertEquals(-1, TokenRefresh.delayMs(10_000, 9_000));
    }

    @Test
    void aChainOfShortTokensIsRefreshedOncePerHalfLife() {
        // A clock that follows the schedule: each refresh fetches a token living 4 s from that moment.
        long now = 0;
        int refreshes = 0;
        while (now < 60_000) {
            now += TokenRefresh.delayMs(now, now + 4_000);
            refreshes++;
        }
        assertEquals(30, refreshes);
    }
}
