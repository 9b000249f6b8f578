package io.fanwire.benchmarks.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;

/**
 * The cluster that {@code deploy/local/cluster up} started, driven through the same script: its addresses
 * ({@code cluster env}) and its faults ({@code cluster kill node 2}, ...). The script's environment settings
 * ({@code FANWIRE_CLUSTER_DIR}, {@code FANWIRE_CLUSTER_BASE_PORT}) pass through from this process.
 *
 * <p>Threads: any; every method blocks until the script returns.
 */
final class LocalCluster {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);

    private final Path script;
    private final Map<String, String> env;

    private LocalCluster(Path script, Map<String, String> env) {
        this.script = script;
        this.env = env;
    }

    static LocalCluster attach(Path repo) {
        Path script = repo.resolve("deploy/local/cluster");
        String output = run(script, List.of("env"));
        Map<String, String> env = output.lines().filter(line -> line.contains("="))
                .collect(Collectors.toMap(line -> line.substring(0, line.indexOf('=')),
                        line -> line.substring(line.indexOf('=') + 1)));
        return new LocalCluster(script, env);
    }

    String balancer() {
        return env.get("FANWIRE_BALANCER");
    }

    String bootstrap() {
        return env.get("FANWIRE_BOOTSTRAP");
    }

    String tokenSecret() {
        return env.get("FANWIRE_TOKEN_SECRET");
    }

    /** {@code cluster ARGS...}, e.g. {@code kill node 2}; fails with the script's output when it fails. */
    void command(String... args) {
        run(script, List.of(args));
    }

    /** The broker (node id) that leads the most partitions of {@code topic}. */
    int busiestLeader(String topic) {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        try (Admin admin = Admin.create(p)) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            Map<Integer, Integer> led = new HashMap<>();
            description.partitions().forEach(partition -> led.merge(partition.leader().id(), 1, Integer::sum));
            return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        } catch (Exception e) {
            throw new IllegalStateException("could not describe " + topic + ": " + e, e);
        }
    }

    private static String run(Path script, List<String> args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(script.toString());
        command.addAll(args);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish");
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue()
                        + "):\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + script + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
