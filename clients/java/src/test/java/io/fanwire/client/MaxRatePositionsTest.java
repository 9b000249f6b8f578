package io.fanwire.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lagging resume position and the per-key dedupe of a max_rate subscription, on a clock the test moves. */
class MaxRatePositionsTest {

    private final Map<Integer, Long> resume = new HashMap<>();
    private long now;
    /** max_rate 2: a slot every 0.5 s, so a lag of 1.5 s with the margin, and a sample at most every 375 ms. */
    private final MaxRatePositions positions = new MaxRatePositions(2, resume, () -> now);

    private void at(long millis) {
        now = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void theResumePositionIsTheHighestOffsetReceivedALagBeforeTheLastRecord() {
        positions.confirm(0, -1);
        at(0);
        positions.accept(0, "a", 0);
        at(400);
        positions.accept(0, "b", 5);
        at(600);
        positions.accept(0, "c", 3); // c waited for its slot; not sampled on its own: too soon after b
        at(1400);
        positions.accept(0, "d", 6);
        assertEquals(-1L, resume.get(0), "nothing received 1.5 s before the last record");
        at(1500);
        positions.accept(0, "a", 7);
        assertEquals(0L, resume.get(0), "a@0, received at 0 ms");
        at(1900);
        positions.accept(0, "b", 8);
        assertEquals(5L, resume.get(0), "b@5, received at 400 ms; c@3 arrived after it, lower");
        at(10_000);
        positions.accept(0, "c", 9);
        assertEquals(8L, resume.get(0), "every record received by 1900 ms, the last sample before this record");
    }

    @Test
    void aNewConnectionsRecordsAreTimedAfresh() {
        positions.confirm(0, -1);
        at(0);
        positions.accept(0, "a", 0);
        positions.connectionEnded();
        at(5000);
        positions.accept(0, "a", 1);
        assertEquals(-1L, resume.get(0), "a@0 came on a connection that ended: no later receipt settles it");
        at(6500);
        positions.accept(0, "b", 2);
        assertEquals(1L, resume.get(0));
    }

    @Test
    void keysAtOrBelowTheResumePositionAreForgottenAndStayDuplicates() {
        positions.confirm(0, -1);
        for (int i = 0; i < 1000; i++) {
            at(10L * i);
            assertTrue(positions.accept(0, "k" + i, i));
        }
        // Received within the last lag (1.5 s = 150 records) plus a sampling step (375 ms = 38 records).
        assertTrue(positions.keysRemembered(0) <= 150 + 38, positions.keysRemembered(0) + " keys remembered");
        assertTrue(resume.get(0) >= 1000 - 150 - 38, "settled at " + resume.get(0));
        positions.confirm(0, 999);
        assertEquals(0, positions.keysRemembered(0));
        assertFalse(positions.accept(0, "k999", 999));
        assertTrue(positions.accept(0, "k999", 1000));
    }
}
