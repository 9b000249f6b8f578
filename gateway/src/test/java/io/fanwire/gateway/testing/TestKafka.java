package io.fanwire.gateway.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.fanwire.broker.EmbeddedKafkaBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka broker of the test JVM: one real KRaft broker ({@link EmbeddedKafkaBroker}, on a
 * free port), started on first use and shared by every test in the JVM, stopped by a shutdown
 * hook. Sharing is safe because each test owns its topic names; it saves the broker's start
 * (seconds) per test class.
 *
 * <p>Threads: any. Every method blocks until done, with a bounded wait, and throws
 * {@link IllegalStateException} when the broker fails; a failed start is remembered and
 * rethrown at once to every later caller.
 */
public final class TestKafka {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

    private static EmbeddedKafkaBroker broker;
    private static RuntimeException startFailure;
    private static KafkaProducer<byte[], byte[]> producer;

    private TestKafka() {
    }

    /** The shared broker, started on the first call. */
    public static synchronized EmbeddedKafkaBroker broker() {
        if (startFailure != null) {
            throw startFailure;
        }
        if (broker == null) {
            try {
                broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults().withPort(0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the test Kafka broker", e);
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(TestKafka::stop, "test-kafka-stop"));
        }
        return broker;
    }

    public static String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** Creates the topic (replication factor 1) unless it exists, and waits until it has leaders. */
    public static void createTopic(String name, int partitions) {
        try {
            broker().createTopic(name, partitions);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        }
    }

    /** Sends one record with UTF-8 key (may be null) and value, and waits for the broker's acknowledgement. */
    public static RecordMetadata produce(String topic, String key, String value) {
        return produce(topic, utf8(key), utf8(value));
    }

    /** Sends one record ({@code acks=all}) and waits for the broker's acknowledgement. */
    public static RecordMetadata produce(String topic, byte[] key, byte[] value) {
        try {
            return producer().send(new ProducerRecord<>(topic, key, value))
                    .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not produce to " + topic + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no acknowledgement from " + topic + " within " + SEND_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing to " + topic, e);
        }
    }

    private static synchronized KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            Properties p = new Properties();
            p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
            p.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "test-kafka-producer");
            p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
            p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
            p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(SEND_TIMEOUT.toMillis()));
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    private static synchronized void stop() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        broker.close();
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
