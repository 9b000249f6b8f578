package io.fanwire.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates topics on a running cluster, for scripts that have no Kafka command-line tools at hand
 * ({@code deploy/local/cluster}): {@code CreateTopics BOOTSTRAP NAME:PARTITIONS:REPLICAS[:compact] ...}.
 * A topic that exists already is left as it is. Exits 0 when every topic exists, 1 otherwise, with one line
 * per topic on stdout.
 *
 * <p>Threads: {@code main} only; blocks up to {@value #TIMEOUT_SECONDS} s per topic.
 */
public final class CreateTopics {

    private static final int TIMEOUT_SECONDS = 60;

    private CreateTopics() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2) {
            System.err.println("usage: CreateTopics BOOTSTRAP NAME:PARTITIONS:REPLICAS[:compact] ...");
            System.exit(2);
        }
        List<NewTopic> topics = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String[] parts = args[i].split(":");
            if (parts.length < 3 || parts.length > 4 || (parts.length == 4 && !parts[3].equals("compact"))) {
                System.err.println("not NAME:PARTITIONS:REPLICAS[:compact]: " + args[i]);
                System.exit(2);
            }
            NewTopic topic = new NewTopic(parts[0], Integer.parseInt(parts[1]), Short.parseShort(parts[2]));
            if (parts.length == 4) {
                topic.configs(Map.of("cleanup.policy", "compact"));
            }
            topics.add(topic);
        }
        Properties properties = new Properties();
        properties.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        properties.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                Long.toString(Duration.ofSeconds(TIMEOUT_SECONDS).toMillis()));
        boolean failed = false;
        try (Admin admin = Admin.create(properties)) {
            var results = admin.createTopics(topics).values();
            for (NewTopic topic : topics) {
                try {
                    results.get(topic.name()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    System.out.println("created " + topic.name() + " (" + topic.numPartitions() + " partitions, "
                            + topic.replicationFactor() + " replicas)");
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        System.out.println("exists " + topic.name());
                    } else {
                        System.out.println("failed " + topic.name() + ": " + e.getCause());
                        failed = true;
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    System.out.println("failed " + topic.name() + ": no answer in " + TIMEOUT_SECONDS + " s");
                    failed = true;
                }
            }
        }
        System.exit(failed ? 1 : 0);
    }
}
