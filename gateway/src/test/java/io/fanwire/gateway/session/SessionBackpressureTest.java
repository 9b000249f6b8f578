package io.fanwire.gateway.session;

import static io.fanwire.gateway.session.TestConnection.offsets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.GoAway;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session's writes while its client keeps up and while it does not: gathering of a drain's frames, each
 * slow-consumer policy (conflate, drop with a Gap, disconnect with a GoAway) and the {@code ws.max.pending.bytes}
 * bound, on a real pipeline whose client stops and resumes reading.
 */
class SessionBackpressureTest {

    private TestConnection connection;

    @AfterEach
    void close() {
        connection.close();
    }

    private void open(TestConnection.Settings settings) {
        connection = new TestConnection(settings);
        connection.subscribe("quotes");
        assertTrue(connection.onlyFrame().getReply().hasSubscribed());
    }

    @Test
    void aHealthyConnectionGetsEveryRecordOfADrainInOneWrite() {
        open(new TestConnection.Settings());
        connection.deliver(connection.ingest(0, 0, "A"), connection.ingest(0, 1, "B"), connection.ingest(0, 2, "C"));
        assertEquals(1, connection.channel.outboundMessages().size(), "one gathered buffer for the drain");
        assertEquals(List.of(0L, 1L, 2L), offsets(connection.frames()));
    }

    @Test
    void aSingleFrameDrainIsWrittenAsADuplicateOfTheSharedFrameNotACopy() {
        open(new TestConnection.Settings());
        EncodedRecord record = connection.publish(0, 0, "A");
        ByteBuf shared = record.frame(Subprotocol.PROTO, PooledByteBufAllocator.DEFAULT);
        assertEquals(2, shared.refCnt(), "the frame waiting in the channel shares the record's buffer");
        assertEquals(List.of(0L), offsets(connection.frames()));
        assertEquals(1, shared.refCnt());
    }

    @Test
    void conflateKeepsTheNewestValuePerKeyAndPaysItInOrderOnceWritable() {
        open(new TestConnection.Settings().policies(SlowConsumerPolicy.CONFLATE));
        connection.stopReading();
        connection.publish(0, 0, "A");
        connection.publish(0, 1, "B");
        connection.publish(0, 2, "A");
        assertEquals(List.of(), connection.frames(), "nothing while the client does not read");
        assertEquals(1, connection.metric("fanwire_records_conflated_total"));
        connection.resumeReading();
        assertEquals(List.of(1L, 2L), offsets(connection.frames()), "B@1, then A's newest value, A@2");
        connection.publish(0, 3, "A");
        assertEquals(List.of(3L), offsets(connection.frames()), "live again");
    }

    @Test
    void aRecordArrivingWhileOwedWaitsBehindWhatIsOwed() {
        open(new TestConnection.Settings().policies(SlowConsumerPolicy.CONFLATE));
        connection.stopReading();
        connection.publish(0, 0, "A");
        // Writable again, but the session has not heard of it yet: a new record must not overtake A@0.
        connection.channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        connection.deliverNow(connection.ingest(0, 1, "B"));
        assertEquals(List.of(0L, 1L), offsets(connection.written()), "paid within the drain, then B");
    }

    @Test
    void dropAnnouncesTheDroppedOffsetsWithOneGap() {
        open(new TestConnection.Settings().policies(SlowConsumerPolicy.DROP));
        connection.stopReading();
        for (long offset = 0; offset < 5; offset++) {
            connection.publish(0, offset, "K" + offset);
        }
        assertEquals(5, connection.metric("fanwire_records_dropped_total"));
        connection.resumeReading();
        ServerFrame gap = connection.onlyFrame();
        Gap expected = Gap.newBuilder().setChannel("quotes").setPartition(0).setFromOffset(0).setToOffset(4)
                .setReason(Backpressure.SLOW_CONSUMER).build();
        assertEquals(expected, gap.getGap());
        connection.publish(0, 5, "K5");
        assertEquals(List.of(5L), offsets(connection.frames()));
    }

    @Test
    void disconnectSendsAGoAwayThatClaimsOnlyWhatWasSent() {
        open(new TestConnection.Settings().policies(SlowConsumerPolicy.DISCONNECT));
        connection.publish(0, 0, "A");
        assertEquals(List.of(0L), offsets(connection.frames()));
        connection.stopReading();
        connection.publish(0, 1, "A");
        List<ServerFrame> frames = connection.frames();
        assertEquals(1, frames.size(), frames::toString);
        GoAway goAway = frames.get(0).getGoAway();
        assertEquals(Backpressure.SLOW_CONSUMER, goAway.getReason());
        assertEquals(0, goAway.getResumeFrom(0).getOffset(), "offset 1 was never sent");
        assertEquals(List.of(1008), connection.closeStatuses());
        assertEquals(1, connection.metric("fanwire_slow_consumer_disconnects_total"));
        connection.publish(0, 2, "A");
        assertEquals(List.of(), connection.frames(), "no delivery after the GoAway");
    }

    @Test
    void conflatedRecordsPastTheBoundEndTheConnectionWithPositionsBelowThem() {
        // Each of these frames is about 30 bytes: the second one held passes the bound.
        open(new TestConnection.Settings().policies(SlowConsumerPolicy.CONFLATE).maxPendingBytes(50));
        connection.stopReading();
        connection.publish(0, 0, "A");
        connection.publish(0, 1, "B");
        connection.publish(0, 2, "C");
        connection.publish(0, 3, "D");
        List<ServerFrame> frames = connection.frames();
        assertEquals(1, frames.size(), frames::toString);
        assertTrue(frames.get(0).getGoAway().getResumeFrom(0).getOffset() < 0, "nothing was delivered: "
                + frames.get(0));
        assertEquals(List.of(1008), connection.closeStatuses());
    }

    @Test
    void unsubscribingForgetsWhatIsHeldForTheChannel() {
        open(new TestConnection.Settings().policies(SlowConsumerPolicy.CONFLATE));
        connection.stopReading();
        connection.publish(0, 0, "A");
        connection.send(io.fanwire.protocol.v1.ClientFrame.newBuilder()
                .setUnsubscribe(io.fanwire.protocol.v1.Unsubscribe.newBuilder().setChannel("quotes")));
        connection.resumeReading();
        List<ServerFrame> frames = connection.frames();
        assertEquals(1, frames.size(), frames::toString);
        assertTrue(frames.get(0).getReply().hasOk(), "only the reply: the held record is not delivered");
    }
}
