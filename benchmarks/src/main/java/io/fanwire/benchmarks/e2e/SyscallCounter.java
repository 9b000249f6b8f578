package io.fanwire.benchmarks.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Counts the system calls a process makes over a window with {@code perf stat} and the kernel's syscall
 * tracepoints: how many writes (of any kind: write, writev, send, sendto, sendmsg) a server needs per
 * delivered frame, which bounds its CPU per frame once each frame goes out in its own syscall. Optional
 * ({@code --syscalls true}): needs {@code perf} and permission to read tracepoints.
 */
final class SyscallCounter {

    /** The tracepoints counted; the runner reports their sum as "write syscalls". */
    static final List<String> WRITES = List.of("write", "writev", "sendto", "sendmsg", "sendmmsg");
    private static final List<String> OTHERS = List.of("epoll_wait", "epoll_pwait", "read", "recvfrom");

    private final Process perf;

    private SyscallCounter(Process perf) {
        this.perf = perf;
    }

    /** Starts counting the syscalls of {@code pid} for {@code millis}. */
    static SyscallCounter start(long pid, long millis) throws IOException {
        List<String> command = new ArrayList<>(List.of("perf", "stat", "-x", ",", "--timeout",
                Long.toString(millis), "-p", Long.toString(pid)));
        for (String name : concat(WRITES, OTHERS)) {
            command.add("-e");
            command.add("syscalls:sys_enter_" + name);
        }
        return new SyscallCounter(new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start());
    }

    /** Waits for the window to end; the count per syscall name (empty when perf failed). */
    Map<String, Long> counts() throws IOException, InterruptedException {
        if (!perf.waitFor(30, TimeUnit.SECONDS)) {
            perf.destroyForcibly();
            return Map.of();
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        String csv = new String(perf.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        for (String line : csv.split("\n")) {
            String[] fields = line.split(",");
            if (fields.length > 2 && fields[2].startsWith("syscalls:sys_enter_")) {
                try {
                    counts.put(fields[2].substring("syscalls:sys_enter_".length()), Long.parseLong(fields[0]));
                } catch (NumberFormatException notCounted) {
                    // "<not counted>" or "<not supported>": leave it out
                }
            }
        }
        return counts;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
