package io.fanwire.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EmbeddedKafkaBrokerTest {

    private static final int RECORDS = 100;
    private static final int PARTITIONS = 3;

    @Test
    @Timeout(120)
    void keyedRecordsAreReadBackFromThePartitionsTheyWereWrittenTo() throws Exception {
        String topic = "embedded-kafka-broker-test-round-trip";
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults().withPort(0))) {
            broker.createTopic(topic, PARTITIONS);
            Map<String, RecordMetadata> written = new HashMap<>();
            Properties p = new Properties();
            p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (KafkaProducer<String, String> producer =
                         new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < RECORDS; i++) {
                    written.put("key-" + i, producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)).get());
                }
            }

            List<ConsumerRecord<String, String>> read = readAll(broker.bootstrapServers(), topic, Duration.ofSeconds(30));
            check(written, read);
        }
    }

    private static void check(Map<String, RecordMetadata> written, List<ConsumerRecord<String, String>> read) {

        assertEquals(RECORDS, read.size());
        for (ConsumerRecord<String, String> record : read) {
            RecordMetadata metadata = written.get(record.key());
            assertNotNull(metadata, () -> "unexpected key " + record.key());
            assertEquals(record.key().replace("key-", "value-"), record.value());
            assertEquals(metadata.partition(), record.partition(), record.key());
            assertEquals(metadata.offset(), record.offset(), record.key());
        }
        assertEquals(PARTITIONS, read.stream().map(ConsumerRecord::partition).distinct().count(),
                "100 distinct keys land on every one of 3 partitions");
    }

    @Test
    @Timeout(10)
    void startFailsFastWhenThePortIsInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults().withPort(port)));

            assertEquals("port " + port + " is in use: is another Kafka running? use --dev-kafka-port",
                    e.getMessage());
        }
    }

    private static List<ConsumerRecord<String, String>> readAll(String bootstrapServers, String topic,
                                                               Duration timeout) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "embedded-kafka-broker-test");
        List<TopicPartition> partitions = IntStream.range(0, PARTITIONS)
                .mapToObj(partition -> new TopicPartition(topic, partition))
                .collect(Collectors.toList());
        List<ConsumerRecord<String, String>> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (read.size() < RECORDS && System.nanoTime() - deadline < 0) {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
            }
        }
        return read;
    }
}
