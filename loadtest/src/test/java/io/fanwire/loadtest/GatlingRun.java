package io.fanwire.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Gatling run in a child JVM, as {@code gatling:test} runs it: {@code io.gatling.app.Gatling -s CLASS}
 * with the knobs as system properties, on this test's classpath. The run is bounded: past {@code limit}
 * the child is killed and the run reported as hung.
 *
 * <p>Threads: the calling test thread.
 */
record GatlingRun(int exitCode, String output, Path resultsFolder) {

    static GatlingRun run(Class<?> simulation, Map<String, String> knobs, Path resultsFolder, Duration limit)
            throws IOException, InterruptedException {
        Files.createDirectories(resultsFolder);
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(LocalTarget.java(), "-Xmx512m",
                // A short run is not a measurement: start fast, leave the cores to the target.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                // Gatling's log writer reads String internals, as gatling:test lets it.
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "-cp", classpath));
        knobs.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("io.gatling.app.Gatling", "-s", simulation.getName(),
                "-rf", resultsFolder.toString()));
        Path log = resultsFolder.resolve("gatling.log");
        Process gatling = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!gatling.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            gatling.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(simulation.getSimpleName() + " did not end within " + limit + ":\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new GatlingRun(gatling.exitValue(), Files.readString(log, StandardCharsets.UTF_8), resultsFolder);
    }
}
