package io.fanwire.benchmarks.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks that the end-to-end runner works — broker, Fanwire in its own JVM, a swarm process, the producer,
 * the report — with a tiny load ({@code --quick}). It asserts that frames flowed and a report was written,
 * never how fast: speed is for the real run, not for tests.
 */
class BenchmarkRunnerSmokeIT {

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void quickRunDeliversAndWritesTheReport(@TempDir Path out) throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Process runner = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                repo.resolve("benchmarks/target/benchmarks.jar").toString(), BenchmarkRunner.class.getName(),
                "--quick", "--repo", repo.toString(), "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(out.resolve("runner.log").toFile()).start();
        assertTrue(runner.waitFor(150, TimeUnit.SECONDS), "the runner stops by itself");
        String log = Files.readString(out.resolve("runner.log"));
        assertEquals(0, runner.exitValue(), log);

        List<Path> json;
        try (Stream<Path> files = Files.list(out)) {
            json = files.filter(p -> p.toString().endsWith(".json")).toList();
        }
        assertEquals(1, json.size(), log);
        String results = Files.readString(json.get(0));
        assertTrue(results.contains("\"scenario\":\"firehose\""), results);
        double delivered = Double.parseDouble(results.replaceAll("(?s).*\"delivered_per_s\":([0-9.]+).*", "$1"));
        assertTrue(delivered > 0, "frames reached the swarm: " + results);
    }
}
