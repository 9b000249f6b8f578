package io.fanwire.gateway.session;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one event loop's connections within its share of the node's {@link PendingBudget}. Every
 * {@value PendingBudget#PERIOD_MS} ms it counts what each connection of the loop has pending
 * ({@link Session#pendingBytes}) and reports the loop's sum; while the node's total is over the budget, it
 * closes the loop's connections furthest behind, largest first, as slow consumers (a {@code GoAway} with resume
 * positions, status 1008: the client resumes and loses nothing), until the loop has shed its proportional part
 * of the excess down to {@value PendingBudget#LOW_WATER} of the budget. Bytes of connections already closing
 * count as shed: they are freed when the connection goes.
 *
 * <p>Why a periodic count: a connection's outbound buffer shrinks when the kernel takes bytes, which the session
 * does not see, so only a count is exact; counting 5,000 connections is a few thousand field reads a period.
 * Between counts the loops keep an estimate ({@link PendingBudget#add}) that catches a burst within one task.
 *
 * <p>Event loop only (the one it sweeps); the sessions are the loop's {@link IdleSweep} registry.
 */
public final class PendingBudgetSweep implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PendingBudgetSweep.class);

    private final IdleSweep sessions;
    private final PendingBudget budget;
    private final int loopIndex;
    /** Per candidate: its pending bytes in the high bits and its slot in the low 20; reused between sweeps. */
    private long[] candidates = new long[64];
    private boolean failureLogged;

    public PendingBudgetSweep(IdleSweep sessions, PendingBudget budget, int loopIndex) {
        this.sessions = sessions;
        this.budget = budget;
        this.loopIndex = loopIndex;
    }

    /** Schedules the sweep on the loop, for as long as the loop runs. Any thread. */
    public void start() {
        sessions.loop().scheduleAtFixedRate(this, PendingBudget.PERIOD_MS, PendingBudget.PERIOD_MS,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
        try {
            sweep();
        } catch (RuntimeException | OutOfMemoryError e) {
            // A periodic task that throws is never run again: log, and sweep again next period.
            if (!failureLogged) {
                failureLogged = true;
                log.error("pending budget sweep of loop {} failed; it runs again next period", loopIndex, e);
            }
        }
    }

    private void sweep() {
        int size = sessions.size();
        if (candidates.length < size) {
            candidates = new long[Math.max(size, candidates.length * 2)];
        }
        long sum = 0;
        long closing = 0;
        int count = 0;
        for (int i = 0; i < size; i++) {
            Session session = sessions.session(i);
            long pending = session.pendingBytes();
            sum += pending;
            if (session.closing()) {
                closing += pending;
            } else if (pending > 0 && i < (1 << 20)) {
                candidates[count++] = (pending << 20) | i;
            }
        }
        long total = budget.report(loopIndex, sum);
        if (total <= budget.limit()) {
            return;
        }
        long toShed = sum - (long) (sum * (budget.limit() * PendingBudget.LOW_WATER / total)) - closing;
        if (toShed <= 0) {
            return;
        }
        Arrays.sort(candidates, 0, count);
        for (int c = count - 1; c >= 0 && toShed > 0; c--) {
            Session session = sessions.session((int) (candidates[c] & ((1 << 20) - 1)));
            toShed -= candidates[c] >>> 20;
            session.closeOverBudget();
        }
    }
}
