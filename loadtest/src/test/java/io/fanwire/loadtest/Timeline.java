package io.fanwire.loadtest;

/**
 * When the run's load phase ends: the simulation's start (its {@code before} hook, just before the first
 * user) plus the ramp and the plateau. Connections are held and records produced until then.
 *
 * <p>Set once on Gatling's start thread, read from every user's event loop.
 */
public final class Timeline {

    private final long loadPhaseMillis;
    private volatile long startMillis = -1;

    public Timeline(long loadPhaseMillis) {
        this.loadPhaseMillis = loadPhaseMillis;
    }

    public void start() {
        startMillis = System.currentTimeMillis();
    }

    /** Wall-clock milliseconds at which the load phase ends. */
    public long loadEndMillis() {
        if (startMillis < 0) {
            throw new IllegalStateException("the simulation has not started");
        }
        return startMillis + loadPhaseMillis;
    }

    public boolean loading() {
        return System.currentTimeMillis() < loadEndMillis();
    }
}
