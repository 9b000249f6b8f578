package io.fanwire.gateway.session;

import static io.fanwire.gateway.session.TestConnection.offsets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.history.HistoryEntry;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A resuming subscription: every record after the client's position once, in order, from memory or from the
 * older records, with one Gap for what Kafka no longer has, then live with no seam; partitions take turns; the
 * replay waits while the client does not read.
 */
class ReplayTest {

    private TestConnection connection;

    @AfterEach
    void close() {
        connection.close();
    }

    @Test
    void theReplayHandsOverToLiveWithNoGapAndNoDuplicate() {
        connection = new TestConnection();
        List<EncodedRecord> queued = new ArrayList<>();
        for (long offset = 0; offset < 10; offset++) {
            // Read by ingest, still queued for the loop: the live path has not delivered them yet.
            queued.add(connection.ingest(0, offset, "K" + offset));
        }
        connection.resume("quotes", 0, 4);
        List<ServerFrame> frames = connection.frames();
        assertTrue(frames.get(0).getReply().hasSubscribed());
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L), offsets(frames), "replayed from memory");
        Subscription subscription = connection.session().subscription(new ChannelName("quotes", null));
        assertEquals(Subscription.Phase.LIVE, subscription.phase());
        assertTrue(subscription.filters(), "records up to 9 may still come live: they are skipped");

        connection.deliver(queued.toArray(EncodedRecord[]::new));
        assertEquals(List.of(), connection.frames(), "the queued live records were replayed already");
        connection.publish(0, 10, "K10");
        assertEquals(List.of(10L), offsets(connection.frames()));
        assertFalse(subscription.filters(), "past the seam the live path checks nothing");
    }

    @Test
    void offsetsKafkaNoLongerHasAreAnnouncedWithOneGap() {
        KafkaLog kafka = new KafkaLog(5, 10);
        connection = new TestConnection(new TestConnection.Settings().historyBytes(0).olderRecords(kafka));
        for (long offset = 0; offset < 10; offset++) {
            connection.ingest(0, offset, "K" + offset);
        }
        connection.resume("quotes", 0, 1);
        List<ServerFrame> frames = connection.frames();
        assertTrue(frames.get(0).getReply().hasSubscribed());
        Gap gap = frames.get(1).getGap();
        assertEquals(List.of(2L, 4L, Replay.RETENTION), List.of(gap.getFromOffset(), gap.getToOffset(),
                gap.getReason()));
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L), offsets(frames), "then the rest, from Kafka");
        assertEquals(List.of(2L), kafka.requested, "one fetch, from the first offset after the position");
        connection.publish(0, 10, "K10");
        assertEquals(List.of(10L), offsets(connection.frames()));
    }

    @Test
    void partitionsTakeTurnsOfOneSliceEach() {
        connection = new TestConnection(new TestConnection.Settings().partitions(2));
        for (long offset = 0; offset < 200; offset++) {
            connection.ingest(0, offset, "A" + offset);
            connection.ingest(1, offset, "B" + offset);
        }
        connection.subscribe(Subscribe.newBuilder().setChannel("quotes")
                .addResumeFrom(Position.newBuilder().setPartition(0).setOffset(-1))
                .addResumeFrom(Position.newBuilder().setPartition(1).setOffset(-1)));
        List<Integer> partitions = connection.frames().stream().filter(ServerFrame::hasMessage)
                .map(f -> f.getMessage().getPartition()).toList();
        assertEquals(400, partitions.size());
        List<Integer> turns = new ArrayList<>();
        for (int i = 0; i < partitions.size(); i++) {
            if (i == 0 || !partitions.get(i).equals(partitions.get(i - 1))) {
                turns.add(partitions.get(i));
            }
        }
        assertEquals(List.of(0, 1, 0, 1, 0, 1, 0, 1), turns, "64, 64, 64, 64, 64, 64, 8, 8");
        assertEquals(64, partitions.subList(0, 64).stream().filter(p -> p == 0).count());
    }

    @Test
    void theReplayWaitsWhileTheClientDoesNotReadAndGoesOnWhenItDoes() {
        connection = new TestConnection();
        for (long offset = 0; offset < 10; offset++) {
            connection.ingest(0, offset, "K" + offset);
        }
        connection.stopReading();
        connection.resume("quotes", 0, -1);
        List<ServerFrame> frames = connection.frames();
        assertEquals(1, frames.size(), "only the reply: " + frames);
        connection.resumeReading();
        assertEquals(LongStream.range(0, 10).boxed().toList(), offsets(connection.frames()));
    }

    @Test
    void ofTwoResumingSubscriptionsThatOverlapOnlyOneSendsARecord() {
        connection = new TestConnection();
        for (long offset = 0; offset < 6; offset++) {
            connection.ingest(0, offset, offset % 2 == 0 ? "A" : "B");
        }
        connection.resume("quotes", 0, 1);
        connection.resume("quotes/A", 0, -1);
        List<ServerFrame> frames = connection.frames();
        assertEquals(List.of(2L, 3L, 4L, 5L, 0L), offsets(frames),
                "A@2 and A@4 came through the whole topic; A@0 only through quotes/A");
    }

    /**
     * The older records of one partition of {@code quotes} as Kafka serves them to the catch-up readers:
     * offsets from {@code logStart} to {@code end - 1}; a chunk holds every record from the requested offset.
     */
    private static final class KafkaLog implements OlderRecords {
        private final long logStart;
        private final long end;
        final List<Long> requested = new ArrayList<>();

        KafkaLog(long logStart, long end) {
            this.logStart = logStart;
            this.end = end;
        }

        @Override
        public void fetch(TopicPartition partition, long from, Consumer<Chunk> callback) {
            requested.add(from);
            List<HistoryEntry> records = new ArrayList<>();
            for (long offset = Math.max(from, logStart); offset < end; offset++) {
                records.add(HistoryEntry.fromKafka(new ConsumerRecord<>(partition.topic(), partition.partition(),
                        offset, ("K" + offset).getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8))));
            }
            callback.accept(new Chunk(logStart, records, end));
        }
    }
}
