package io.fanwire.benchmarks.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and resident memory of a process, from Linux's {@code /proc}: what the process itself spent,
 * independent of what else the shared machine was doing.
 */
final class ProcStat {

    /** USER_HZ: the unit of utime and stime in /proc/PID/stat; 100 on every Linux this runs on. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcStat() {
    }

    /** User + system CPU time of {@code pid} and its threads, in nanoseconds; 0 if it is gone. */
    static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * (1_000_000_000L / TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Resident set size of {@code pid} in bytes; 0 if it is gone. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
