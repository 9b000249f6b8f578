package io.fanwire.gateway.fanout;

import static io.fanwire.gateway.testing.ServerFrameReader.offsets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.Authenticator;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.config.ClientLimits;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.gateway.session.OutboundWriter;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.session.PendingBudget;
import io.fanwire.gateway.session.SessionServices;
import io.fanwire.gateway.session.SessionSettings;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.gateway.subscription.SubscriptionTable;
import io.fanwire.gateway.testing.ServerFrameReader;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One event loop's share of the fan-out, with real sessions on embedded channels: every subscriber gets its
 * records in batch order and each record once; batches that wait are joined into one drain with one write and
 * flush per connection; a connection whose write throws is cut and costs the others nothing.
 */
class LoopDeliveryTest {

    private static final String TOPIC = "quotes";

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final RecordHistory history = new RecordHistory(0, 1);
    private final SubscriptionTable<Session> table = new SubscriptionTable<>();
    private final SessionServices services = new SessionServices(null, metrics, null, history, null, null,
            List.of(), new Authenticator(null, true), AccessRules.parse("any * anyone"),
            new ClientLimits(100, 0, 100, Duration.ofSeconds(10), List.of("*"), 100, 100, 1024), () -> true,
            new SessionSettings(65_536, 256, 100, 16L << 20, SlowConsumerPolicies.always(SlowConsumerPolicy.DISCONNECT),
                    PayloadFormats.none()), new PendingBudget(Long.MAX_VALUE, 1));
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final List<ServerFrameReader> readers = new ArrayList<>();
    private final List<EncodedRecord> made = new ArrayList<>();
    private LoopDelivery delivery;

    @AfterEach
    void close() {
        readers.forEach(ServerFrameReader::close);
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        for (EncodedRecord record : made) {
            assertEquals(1, record.refCnt(), "the fan-out kept a reference");
            record.release();
        }
    }

    /** A session on its own embedded channel, subscribed to {@code channelNames}; its frames come from its reader. */
    private ServerFrameReader connection(ByteBufAllocator alloc, String... channelNames) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new WebSocket13FrameEncoder(false));
        ContextCapture capture = new ContextCapture();
        channel.pipeline().addLast(capture);
        OutboundWriter out = new OutboundWriter(channel.pipeline().context(WebSocketFrameEncoder.class),
                channel.unsafe().outboundBuffer(), Subprotocol.PROTO, PayloadFormats.none(), null, 16L << 20);
        Session session = new Session(capture.ctx, out, Subprotocol.PROTO, 0, services);
        for (String name : channelNames) {
            table.add(session, ChannelName.parse(name, 256));
        }
        channels.add(channel);
        if (delivery == null) {
            delivery = new LoopDelivery(channel.eventLoop(), 0, table, history, metrics);
        }
        ServerFrameReader reader = new ServerFrameReader(channel);
        readers.add(reader);
        return reader;
    }

    private ServerFrameReader connection(String... channelNames) {
        return connection(PooledByteBufAllocator.DEFAULT, channelNames);
    }

    @Test
    void eachSubscriberGetsItsRecordsInBatchOrderAndEachOnce() {
        ServerFrameReader whole = connection("quotes");
        ServerFrameReader keyA = connection("quotes/A");
        ServerFrameReader both = connection("quotes", "quotes/A");
        submit(record(0, "A"), record(1, "B"), record(2, "A"), record(3, null), record(4, "B"));
        runLoop();
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), offsets(whole.frames()));
        assertEquals(List.of(0L, 2L), offsets(keyA.frames()));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), offsets(both.frames()), "A records once, not twice");
    }

    @Test
    void batchesThatWaitForTheLoopAreJoinedIntoOneWriteAndFlushPerConnection() {
        ServerFrameReader whole = connection("quotes");
        submit(record(0, "A"));
        submit(record(1, "B"), record(2, "C"));
        assertEquals(3, delivery.queuedRecords());
        runLoop();
        assertEquals(0, delivery.queuedRecords());
        assertEquals(1, channels.get(0).outboundMessages().size(), "one gathered buffer for both batches");
        assertEquals(List.of(0L, 1L, 2L), offsets(whole.frames()));
    }

    @Test
    void aConnectionWhoseWriteThrowsIsCutAndTheOthersGetEveryRecord() {
        ServerFrameReader before = connection("quotes");
        // Direct memory runs out for this connection's gathering buffer (as -XX:MaxDirectMemorySize can).
        connection(new AbstractByteBufAllocator(true) {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                throw new OutOfMemoryError("direct memory exhausted (test)");
            }

            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }
        }, "quotes");
        ServerFrameReader after = connection("quotes");
        submit(record(0, "A"), record(1, "B"), record(2, "C"));
        runLoop();
        assertEquals(List.of(0L, 1L, 2L), offsets(before.frames()));
        assertEquals(List.of(0L, 1L, 2L), offsets(after.frames()));
        assertFalse(channels.get(1).isOpen(), "the failing connection is cut");
        assertTrue(metrics.render().contains("fanwire_delivery_failures_total 1"), metrics.render());
        assertEquals(0, delivery.queuedRecords(), "nothing stays counted as queued: ingest goes on");
    }

    private void submit(EncodedRecord... records) {
        List<EncodedRecord> batch = new ArrayList<>();
        for (EncodedRecord record : records) {
            batch.add(record.retain());
        }
        delivery.submit(batch);
    }

    private void runLoop() {
        channels.get(0).runPendingTasks();
    }

    private EncodedRecord record(long offset, String key) {
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>(TOPIC, 0, offset,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)),
                PooledByteBufAllocator.DEFAULT);
        made.add(record);
        history.register(TOPIC, 0, 0);
        return record;
    }

    /** Where the session handler would stand: last in the pipeline; keeps its context. */
    private static final class ContextCapture extends ChannelHandlerAdapter {
        ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }
    }
}
