package io.fanwire.gateway.session;

import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Keepalive and idle timeout for every WebSocket connection of one event loop, by one periodic task instead
 * of a timer per connection (an {@code IdleStateHandler} costs about 280 bytes of heap per connection: its
 * handler, pipeline context and scheduled task).
 *
 * <p>Every {@code ws.ping.interval.ms} the sweep visits the loop's sessions. A session that read nothing since
 * the previous sweep is one period idler: it gets a ping, or, once it has been idle for {@code
 * ws.idle.timeout.ms}, a close with status 1001. So a silent client is pinged after one to two ping
 * intervals, and closed after the idle timeout plus at most one interval.
 *
 * <p>Event loop only: sessions register, leave and are swept on the loop that owns this sweep.
 */
public final class IdleSweep implements Runnable {

    private final EventLoop loop;
    private final long periodMillis;
    private final int idlePeriodsToClose;
    private Session[] sessions = new Session[64];
    private int size;

    public IdleSweep(EventLoop loop, Duration pingInterval, Duration idleTimeout) {
        this.loop = loop;
        this.periodMillis = pingInterval.toMillis();
        this.idlePeriodsToClose = (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                (idleTimeout.toMillis() + periodMillis - 1) / periodMillis));
    }

    /** Schedules the sweep on its loop, for as long as the loop runs. Any thread. */
    public void start() {
        loop.scheduleAtFixedRate(this, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    void register(Session session) {
        if (size == sessions.length) {
            sessions = Arrays.copyOf(sessions, size * 2);
        }
        session.sweepSlot = size;
        sessions[size++] = session;
    }

    void unregister(Session session) {
        int slot = session.sweepSlot;
        if (slot < 0 || slot >= size || sessions[slot] != session) {
            return;
        }
        Session last = sessions[--size];
        sessions[slot] = last;
        last.sweepSlot = slot;
        sessions[size] = null;
        session.sweepSlot = -1;
        if (sessions.length > 64 && size < sessions.length / 4) {
            sessions = Arrays.copyOf(sessions, sessions.length / 2);
        }
    }

    /** The loop whose sessions these are. */
    EventLoop loop() {
        return loop;
    }

    /** The session in slot {@code slot} (below {@link #size}); slots change as sessions leave. Loop only. */
    Session session(int slot) {
        return sessions[slot];
    }

    /** The number of sessions on this loop. */
    public int size() {
        return size;
    }

    @Override
    public void run() {
        // Backwards: a session closed here may leave at once (swapping the last one into its slot).
        for (int i = size - 1; i >= 0; i--) {
            if (i < size) {
                sessions[i].onIdleSweep(idlePeriodsToClose);
            }
        }
    }
}
