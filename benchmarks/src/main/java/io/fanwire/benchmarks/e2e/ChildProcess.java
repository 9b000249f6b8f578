package io.fanwire.benchmarks.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A process the runner starts (a server under test or a swarm): its stdout lines are queued for
 * {@link #awaitLine}, the last ones are kept for error messages, and stdin carries commands.
 */
final class ChildProcess implements AutoCloseable {

    /** The start of a logback line, "HH:mm:ss.SSS ": the lines between two of them belong to the first. */
    private static final Pattern LOG_LINE = Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ");
    private static final int MAX_PROBLEM_LINES = 300;

    private final String name;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Deque<String> tail = new ArrayDeque<>();
    /** The first warnings and errors the process logged, with their stack traces: the tail may have lost them. */
    private final List<String> problems = new ArrayList<>();
    private boolean inProblem;
    private final OutputStream stdin;

    private ChildProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(this::read, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    static ChildProcess start(String name, List<String> command, Map<String, String> env, Path dir) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        builder.environment().putAll(env);
        return new ChildProcess(name, builder.start());
    }

    private void read() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                lines.add(line);
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > 40) {
                        tail.removeFirst();
                    }
                    if (LOG_LINE.matcher(line).lookingAt()) {
                        inProblem = line.contains(" WARN ") || line.contains(" ERROR ");
                    }
                    if (inProblem && problems.size() < MAX_PROBLEM_LINES) {
                        problems.add(line);
                    }
                }
            }
        } catch (IOException e) {
            // The process ended.
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Waits for a stdout line matching {@code match}; fails with the output tail on timeout or exit. */
    String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && match.test(line)) {
                return line;
            }
            if (line == null && !process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
            }
        }
        throw new IllegalStateException(name + ": no expected output within " + timeout + ":\n" + tail());
    }

    void send(String command) throws IOException {
        stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** The first warning and error lines (with the stack traces that follow them), or an empty string. */
    String problems() {
        synchronized (tail) {
            return String.join("\n", problems);
        }
    }

    String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    /** SIGTERM, then SIGKILL after {@code grace}. */
    void stop(Duration grace) throws InterruptedException {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // Already closed.
        }
        process.toHandle().destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop(Duration.ofSeconds(10));
    }
}
