package io.fanwire.gateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A small mutational, property-based fuzzer: it starts from a checked-in corpus of valid and invalid inputs
 * and feeds a target millions of seeded mutations of them (bit flips, byte edits, inserted, deleted,
 * duplicated and spliced ranges, truncation, "interesting" values, dictionary tokens). The target states the
 * property: it returns normally for every documented outcome and throws for anything else. Every throw is a
 * crash; the first inputs that crash are written to {@code target/fuzz-crashes/} to be replayed.
 *
 * <p>Deterministic for a given seed. Single-threaded; not thread-safe.
 */
public final class Fuzzer {

    /** The code under test, with its property. */
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Exception;
    }

    /** What a run did. */
    public record Report(String target, long inputs, long crashes, List<String> crashSamples, long millis) {
        @Override
        public String toString() {
            return String.format("fuzz %s: %,d inputs, %d crashes, %,d ms%s", target, inputs, crashes, millis,
                    crashSamples.isEmpty() ? "" : "; first: " + crashSamples);
        }
    }

    private static final byte[][] INTERESTING = {
            {0}, {(byte) 0xff}, {0x7f}, {(byte) 0x80}, {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f},
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                    (byte) 0xff, 0x01}, {(byte) 0xc3, 0x28}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};

    private final String name;
    private final List<byte[]> corpus;
    private final List<byte[]> dictionary;
    private final SplittableRandom random;

    public Fuzzer(String name, List<byte[]> corpus, List<String> dictionary, long seed) {
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("empty corpus for " + name);
        }
        this.name = name;
        this.corpus = List.copyOf(corpus);
        this.dictionary = dictionary.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
        this.random = new SplittableRandom(seed);
    }

    /** The files of test resource folder {@code folder} (for example {@code fuzz/json}), in name order. */
    public static List<byte[]> corpus(String folder) {
        URL url = Fuzzer.class.getClassLoader().getResource(folder);
        if (url == null) {
            throw new IllegalArgumentException("no test resource folder " + folder);
        }
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            List<byte[]> inputs = new ArrayList<>();
            for (Path file : files.sorted().toList()) {
                inputs.add(Files.readAllBytes(file));
            }
            return inputs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code inputs} inputs (the corpus itself first, then mutations) through {@code target}. */
    public Report run(long inputs, Target target) {
        long start = System.nanoTime();
        long crashes = 0;
        List<String> samples = new ArrayList<>();
        for (long i = 0; i < inputs; i++) {
            byte[] input = i < corpus.size() ? corpus.get((int) i) : mutate(corpus.get(random.nextInt(corpus.size())));
            try {
                target.accept(input);
            } catch (Throwable crash) {
                crashes++;
                if (samples.size() < 5) {
                    samples.add(crash.toString());
                    save(input, samples.size());
                }
            }
        }
        return new Report(name, inputs, crashes, samples, (System.nanoTime() - start) / 1_000_000);
    }

    private void save(byte[] input, int n) {
        try {
            Path dir = Path.of("target", "fuzz-crashes");
            Files.createDirectories(dir);
            Files.write(dir.resolve(name + "-" + n + ".bin"), input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One to four stacked mutations of {@code seed}. */
    byte[] mutate(byte[] seed) {
        byte[] data = seed;
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) {
            data = mutateOnce(data);
        }
        return data;
    }

    private byte[] mutateOnce(byte[] data) {
        int n = data.length;
        switch (random.nextInt(10)) {
            case 0 -> { // flip one bit
                if (n == 0) {
                    return insert(data, 0, new byte[] {(byte) random.nextInt(256)});
                }
                byte[] copy = data.clone();
                int at = random.nextInt(n);
                copy[at] ^= (byte) (1 << random.nextInt(8));
                return copy;
            }
            case 1 -> { // set one byte
                if (n == 0) {
                    return new byte[] {(byte) random.nextInt(256)};
                }
                byte[] copy = data.clone();
                copy[random.nextInt(n)] = (byte) random.nextInt(256);
                return copy;
            }
            case 2 -> { // insert random bytes
                byte[] bytes = new byte[1 + random.nextInt(8)];
                random.nextBytes(bytes);
                return insert(data, random.nextInt(n + 1), bytes);
            }
            case 3 -> { // delete a range
                if (n == 0) {
                    return data;
                }
                int from = random.nextInt(n);
                int to = Math.min(n, from + 1 + random.nextInt(Math.max(1, n / 4)));
                return concat(Arrays.copyOfRange(data, 0, from), Arrays.copyOfRange(data, to, n));
            }
            case 4 -> { // duplicate a range, sometimes many times
                if (n == 0) {
                    return data;
                }
                int from = random.nextInt(n);
                int to = Math.min(n, from + 1 + random.nextInt(Math.max(1, n / 4)));
                byte[] range = Arrays.copyOfRange(data, from, to);
                int times = random.nextInt(8) == 0 ? 1 + random.nextInt(200) : 1;
                byte[] repeated = new byte[range.length * times];
                for (int t = 0; t < times; t++) {
                    System.arraycopy(range, 0, repeated, t * range.length, range.length);
                }
                return insert(data, to, repeated);
            }
            case 5 -> { // truncate
                return n == 0 ? data : Arrays.copyOf(data, random.nextInt(n));
            }
            case 6 -> { // splice with another corpus entry
                byte[] other = corpus.get(random.nextInt(corpus.size()));
                int cut = random.nextInt(n + 1);
                int otherCut = random.nextInt(other.length + 1);
                return concat(Arrays.copyOf(data, cut), Arrays.copyOfRange(other, otherCut, other.length));
            }
            case 7 -> { // an interesting value, inserted or overwritten
                byte[] value = INTERESTING[random.nextInt(INTERESTING.length)];
                int at = random.nextInt(n + 1);
                if (random.nextBoolean() || at + value.length > n) {
                    return insert(data, at, value);
                }
                byte[] copy = data.clone();
                System.arraycopy(value, 0, copy, at, value.length);
                return copy;
            }
            default -> { // a dictionary token
                if (dictionary.isEmpty()) {
                    return data;
                }
                return insert(data, random.nextInt(n + 1), dictionary.get(random.nextInt(dictionary.size())));
            }
        }
    }

    private static byte[] insert(byte[] data, int at, byte[] bytes) {
        byte[] out = new byte[data.length + bytes.length];
        System.arraycopy(data, 0, out, 0, at);
        System.arraycopy(bytes, 0, out, at, bytes.length);
        System.arraycopy(data, at, out, at + bytes.length, data.length - at);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
