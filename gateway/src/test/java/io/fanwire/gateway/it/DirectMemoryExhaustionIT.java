package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertNull;

import io.fanwire.gateway.testing.GatewayProcess;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.VerifiedClient;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A node whose direct memory runs out loses no record and keeps running. Twelve clients subscribe and never
 * read, with water marks and a pending bound far above what the node's 40 MiB of direct memory can hold, so the
 * frames pending for them exhaust it: the allocator throws {@link OutOfMemoryError} in the event loops and in
 * ingest. A write that threw costs only its connection, which is cut ({@code fanwire_delivery_failures_total});
 * ingest rewinds to the record it could not encode and waits ({@code fanwire_ingest_memory_waits_total}). Once
 * the frozen clients are gone, ingest has read every record, records produced afterwards are read too, and a
 * client that resumes from the beginning (the loss-free client of PROTOCOL.md §4.2) gets all of them in order.
 * Before, either throw was fatal: the event loop's drain stopped for good (nothing more flushed, ingest parked
 * behind records counted as queued), or the ingest thread died.
 *
 * A client that reads throughout gets every record too (its connection may be one of those cut, and it resumes).
 */
class DirectMemoryExhaustionIT {

    private static final int FROZEN_CLIENTS = 12;
    private static final int RECORDS = 600;

    private final String topic = "dmem-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void runningOutOfDirectMemoryCutsConnectionsNotTheNode() throws Exception {
        TestKafka.createTopic(topic, 1);
        String padding = "x".repeat(60 * 1024);
        List<RawWebSocket> frozen = new ArrayList<>();
        VerifiedClient reader = null;
        VerifiedClient throughout = null;
        try (GatewayProcess gateway = GatewayProcess.start(List.of("-XX:MaxDirectMemorySize=40m"),
                     TestKafka.bootstrapServers(), topic, "--auth-anonymous", "true",
                     "--ws-write-buffer-high-bytes", "33554432", "--ws-write-buffer-low-bytes", "16777216",
                     "--ws-max-pending-bytes", "134217728",
                     // The node budget would shed the frozen clients first (PendingBudgetIT); here the
                     // allocator's failure path itself is under test.
                     "--ws-max-pending-bytes-total", String.valueOf(Long.MAX_VALUE));
             TestProducer producer = new TestProducer()) {
            gateway.awaitReady();
            for (int i = 0; i < FROZEN_CLIENTS; i++) {
                RawWebSocket socket = RawWebSocket.connect(gateway.wsUri().getPort(), "fanwire.v1.proto", 4096);
                socket.sendFrame(0x2, ClientFrame.newBuilder().setId(1)
                        .setSubscribe(Subscribe.newBuilder().setChannel(topic)).build().toByteArray());
                frozen.add(socket);
            }
            throughout = new VerifiedClient("throughout", topic, List.of(gateway.wsUri()), true);
            VerifiedClient.awaitAll(List.of(throughout), "a reading client subscribed", VerifiedClient::subscribed);
            for (int i = 0; i < RECORDS; i++) {
                producer.sendAsync(topic, "k", "k:" + i + ":" + padding);
            }
            producer.flush();
            TestGateway.await("direct memory exhausted", () -> metric(gateway, "fanwire_delivery_failures_total")
                    + metric(gateway, "fanwire_ingest_memory_waits_total") > 0);
            // The frozen clients go away (or read): what was pending for them is freed.
            for (RawWebSocket socket : frozen) {
                socket.close();
            }
            for (int i = RECORDS; i < RECORDS + 50; i++) {
                producer.sendAsync(topic, "k", "k:" + i + ":after");
            }
            producer.flush();
            TestGateway.await("ingest read every record",
                    () -> metric(gateway, "fanwire_records_consumed_total") >= RECORDS + 50);

            reader = new VerifiedClient("reader", topic, List.of(gateway.wsUri()), true, Map.of(0, -1L));
            List<VerifiedClient> readers = List.of(reader, throughout);
            try {
                VerifiedClient.awaitReceived(readers, i -> RECORDS + 50);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nthe node said:\n" + gateway.output() + "\n"
                        + gateway.metrics(), e);
            }
            VerifiedClient.closeAll(readers);
            for (VerifiedClient client : readers) {
                assertNull(client.failure());
                assertNull(client.log().verdict(Map.of("k", RECORDS + 50)), client.toString());
            }
        } finally {
            if (reader != null) {
                reader.close();
            }
            if (throughout != null) {
                throughout.close();
            }
            for (RawWebSocket socket : frozen) {
                socket.close();
            }
        }
    }

    /** {@link GatewayProcess#metric} for a condition that cannot throw checked exceptions. */
    private static long metric(GatewayProcess gateway, String name) {
        try {
            return gateway.metric(name);
        } catch (Exception e) {
            throw new AssertionError("no metrics from the node", e);
        }
    }
}
