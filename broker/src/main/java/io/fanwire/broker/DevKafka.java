package io.fanwire.broker;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A standalone dev broker for scripts and client test suites in any language: starts an
 * {@link EmbeddedKafkaBroker}, prints {@code READY 127.0.0.1:PORT} on stdout once it serves, then
 * carries out one command per stdin line and answers each with one stdout line, {@code OK ...} or
 * {@code ERR reason}. End of stdin (the parent closed the pipe or died) or SIGTERM stops the broker
 * and deletes its data. Logs go to stderr, so stdout holds only answers.
 *
 * <pre>
 * java -cp fanwire.jar io.fanwire.broker.DevKafka [--port 0] [--dir DIR]
 *   create TOPIC PARTITIONS [compact]   → OK
 *   produce TOPIC KEY|- VALUE...         → OK PARTITION OFFSET   (key "-": no key; value: rest of the line)
 *   produce-n TOPIC N KEYS PREFIX        → OK N   (values {"seq":I,"k":"kX","p":"PREFIX"}, keys k0.. round robin)
 *   delete-records TOPIC PARTITION BEFORE → OK   (the log start moves to BEFORE, as retention would)
 *   end-offsets TOPIC                     → OK 0=END,1=END,...
 * </pre>
 *
 * <p>It exists so that the JavaScript client's suite (and anyone's shell script) can run a real
 * broker, produce with {@code acks=all} and move a log start without a Kafka client of its own.
 *
 * <p>Threads: {@code main} reads and answers commands in order, one at a time; each command blocks
 * until Kafka has answered (30 s at most).
 */
public final class DevKafka {

    private static final long TIMEOUT_MS = 30_000;

    private DevKafka() {
    }

    public static void main(String[] args) throws Exception {
        // Before the first logger exists: logs to stderr, answers alone on stdout.
        System.setProperty("logback.configurationFile", "fanwire-devkafka-logback.xml");
        int port = 0;
        Optional<Path> dir = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Optional.of(Path.of(args[++i]));
                default -> {
                    System.err.println("usage: DevKafka [--port PORT] [--dir DIR]");
                    System.exit(2);
                }
            }
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        EmbeddedKafkaBroker.Options options = EmbeddedKafkaBroker.Options.defaults().withPort(port);
        if (dir.isPresent()) {
            options = options.withWorkDir(dir.get());
        }
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(options);
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "dev-kafka-stop"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                     broker.bootstrapServers()));
             KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
            out.println("READY " + broker.bootstrapServers());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.println(execute(line, broker, admin, producer));
                } catch (Exception e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    out.println("ERR " + String.valueOf(cause.getMessage()).replace('\n', ' '));
                }
            }
        }
        System.exit(0);
    }

    private static String execute(String line, EmbeddedKafkaBroker broker, Admin admin,
                                  KafkaProducer<byte[], byte[]> producer) throws Exception {
        String[] words = line.trim().split(" ", 4);
        switch (words[0]) {
            case "create" -> {
                need(words, 3, "create TOPIC PARTITIONS [compact]");
                NewTopic topic = new NewTopic(words[1], Integer.parseInt(words[2]), (short) 1);
                if (words.length > 3 && words[3].equals("compact")) {
                    topic.configs(Map.of("cleanup.policy", "compact"));
                }
                try {
                    admin.createTopics(List.of(topic)).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
                broker.createTopic(words[1], Integer.parseInt(words[2])); // waits for leaders
                return "OK";
            }
            case "produce" -> {
                need(words, 4, "produce TOPIC KEY|- VALUE");
                byte[] key = words[2].equals("-") ? null : words[2].getBytes(StandardCharsets.UTF_8);
                RecordMetadata sent = producer.send(new ProducerRecord<>(words[1], key,
                        words[3].getBytes(StandardCharsets.UTF_8))).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                return "OK " + sent.partition() + " " + sent.offset();
            }
            case "produce-n" -> {
                String[] w = line.trim().split(" ");
                need(w, 5, "produce-n TOPIC N KEYS PREFIX");
                int n = Integer.parseInt(w[2]);
                int keys = Integer.parseInt(w[3]);
                java.util.concurrent.Future<RecordMetadata> last = null;
                for (int i = 0; i < n; i++) {
                    String k = "k" + (i % keys);
                    String value = "{\"seq\":" + i + ",\"k\":\"" + k + "\",\"p\":\"" + w[4] + "\"}";
                    last = producer.send(new ProducerRecord<>(w[1], k.getBytes(StandardCharsets.UTF_8),
                            value.getBytes(StandardCharsets.UTF_8)));
                }
                producer.flush();
                if (last != null) {
                    last.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
                return "OK " + n;
            }
            case "delete-records" -> {
                need(words, 4, "delete-records TOPIC PARTITION BEFORE");
                admin.deleteRecords(Map.of(new TopicPartition(words[1], Integer.parseInt(words[2])),
                                RecordsToDelete.beforeOffset(Long.parseLong(words[3]))))
                        .all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                return "OK";
            }
            case "end-offsets" -> {
                need(words, 2, "end-offsets TOPIC");
                int partitions = admin.describeTopics(List.of(words[1])).allTopicNames()
                        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS).get(words[1]).partitions().size();
                Map<TopicPartition, OffsetSpec> latest = new TreeMap<>(
                        (a, b) -> Integer.compare(a.partition(), b.partition()));
                for (int p = 0; p < partitions; p++) {
                    latest.put(new TopicPartition(words[1], p), OffsetSpec.latest());
                }
                var ends = admin.listOffsets(latest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                return "OK " + latest.keySet().stream()
                        .map(tp -> tp.partition() + "=" + ends.get(tp).offset())
                        .collect(Collectors.joining(","));
            }
            default -> throw new IllegalArgumentException("unknown command " + words[0]
                    + "; commands: create, produce, produce-n, delete-records, end-offsets");
        }
    }

    private static void need(String[] words, int count, String usage) {
        if (words.length < count) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(TIMEOUT_MS));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
