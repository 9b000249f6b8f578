package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.Authenticator;
import io.fanwire.gateway.auth.Principal;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.config.ClientLimits;
import io.fanwire.gateway.fanout.LoopDelivery;
import io.fanwire.gateway.history.LastValues;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.gateway.subscription.Subscriptions;
import io.fanwire.gateway.testing.ServerFrameReader;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One upgraded connection on Netty's {@link EmbeddedChannel}, with the pipeline an upgrade leaves: the real
 * {@code WebSocket13FrameEncoder}, then the real {@link SessionHandler}, whose {@link Session} writes record
 * frames through an {@link OutboundWriter} made as the transport makes it. Around it the shared parts of one
 * event loop (subscription table, record history, last values, metrics) and the real {@link LoopDelivery},
 * which the tests drive as the ingest thread's batches would.
 *
 * <p>The embedded channel's loop is the test's thread: everything runs synchronously, and timers run when
 * the test advances the channel's clock. What the server sends is read back as WebSocket frames from the
 * channel's outbound queue ({@link #frames}). Records made here are released by {@link #close}, which also
 * checks that the gateway kept no reference to any of them.
 */
final class TestConnection implements AutoCloseable {

    static final String TOPIC = "quotes";
    static final String OTHER_TOPIC = "other";

    /** Settings of the connection under test; the defaults are the gateway's, scaled down. */
    static final class Settings {
        SlowConsumerPolicies policies = SlowConsumerPolicies.always(SlowConsumerPolicy.DISCONNECT);
        long maxPendingBytes = 16L << 20;
        long pendingBudgetBytes = Long.MAX_VALUE;
        long historyBytes = 1L << 20;
        int partitions = 1;
        OlderRecords olderRecords;
        String rules = "any * anyone";
        List<String> snapshotTopics = List.of();
        int maxSubscriptions = 100;

        Settings policies(SlowConsumerPolicy policy) {
            this.policies = SlowConsumerPolicies.always(policy);
            return this;
        }

        Settings maxPendingBytes(long bytes) {
            this.maxPendingBytes = bytes;
            return this;
        }

        Settings historyBytes(long bytes) {
            this.historyBytes = bytes;
            return this;
        }

        Settings partitions(int count) {
            this.partitions = count;
            return this;
        }

        Settings olderRecords(OlderRecords older) {
            this.olderRecords = older;
            return this;
        }

        Settings rules(String accessRules) {
            this.rules = accessRules;
            return this;
        }

        Settings snapshotTopics(String... topics) {
            this.snapshotTopics = List.of(topics);
            return this;
        }

        Settings pendingBudget(long bytes) {
            this.pendingBudgetBytes = bytes;
            return this;
        }

        Settings maxSubscriptions(int max) {
            this.maxSubscriptions = max;
            return this;
        }
    }

    final EmbeddedChannel channel;
    final GatewayMetrics metrics = new GatewayMetrics();
    final Subscriptions<Session> subscriptions;
    final RecordHistory history;
    final LastValues lastValues;
    final SessionServices services;
    final LoopDelivery delivery;
    final SessionHandler handler;
    private final ServerFrameReader reader;
    private final List<EncodedRecord> made = new ArrayList<>();
    private long nextId = 1;

    TestConnection() {
        this(new Settings());
    }

    TestConnection(Settings settings) {
        channel = new EmbeddedChannel();
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8 * 1024, 16 * 1024));
        subscriptions = new Subscriptions<>(List.of(channel.eventLoop()), List.of(TOPIC, OTHER_TOPIC));
        history = new RecordHistory(settings.historyBytes, 1);
        for (int p = 0; p < settings.partitions; p++) {
            history.register(TOPIC, p, 0);
        }
        history.register(OTHER_TOPIC, 0, 0);
        lastValues = new LastValues(settings.snapshotTopics, 1L << 20);
        services = new SessionServices(subscriptions, metrics, null, history, settings.olderRecords, lastValues,
                List.of(new IdleSweep(channel.eventLoop(), Duration.ofSeconds(20), Duration.ofSeconds(60))),
                new Authenticator(null, true), AccessRules.parse(settings.rules),
                new ClientLimits(50_000, 512, 1_000, Duration.ofSeconds(10), List.of("*"), 1_000_000, 1_000_000,
                        32_768), () -> true,
                new SessionSettings(65_536, 256, settings.maxSubscriptions, settings.maxPendingBytes,
                        settings.policies, PayloadFormats.none()), new PendingBudget(settings.pendingBudgetBytes, 1));
        channel.pipeline().addLast(new WebSocket13FrameEncoder(false));
        ChannelHandlerContext encoder = channel.pipeline().context(WebSocketFrameEncoder.class);
        OutboundWriter out = new OutboundWriter(encoder, channel.unsafe().outboundBuffer(), Subprotocol.PROTO,
                PayloadFormats.none(), null, settings.maxPendingBytes);
        handler = new SessionHandler(Subprotocol.PROTO, services, Principal.ANONYMOUS, null, out);
        channel.pipeline().addLast(handler);
        delivery = new LoopDelivery(channel.eventLoop(), 0, subscriptions.table(0), history, metrics);
        reader = new ServerFrameReader(channel);
    }

    Session session() {
        return handler.session();
    }

    /** Sends {@code request} with the next id; returns the id. */
    long send(ClientFrame.Builder request) {
        long id = nextId++;
        byte[] bytes = request.setId(id).build().toByteArray();
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)));
        return id;
    }

    /** Sends raw bytes as one binary message. */
    void sendRaw(byte[] bytes) {
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)));
    }

    long subscribe(Subscribe.Builder subscribe) {
        return send(ClientFrame.newBuilder().setSubscribe(subscribe));
    }

    long subscribe(String channelName) {
        return subscribe(Subscribe.newBuilder().setChannel(channelName));
    }

    /** Subscribes {@code channelName} resuming from {@code partition}/{@code offset} (the last offset seen). */
    long resume(String channelName, int partition, long offset) {
        return subscribe(Subscribe.newBuilder().setChannel(channelName)
                .addResumeFrom(Position.newBuilder().setPartition(partition).setOffset(offset)));
    }

    /**
     * A record of {@link #TOPIC}'s {@code partition} as the ingest thread makes it: encoded once, appended to
     * the history and the last values. Not yet delivered: that is {@link #deliver}.
     */
    EncodedRecord ingest(int partition, long offset, String key) {
        return ingest(TOPIC, partition, offset, key);
    }

    EncodedRecord ingest(String topic, int partition, long offset, String key) {
        byte[] value = ("v" + offset).getBytes(StandardCharsets.UTF_8);
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>(topic, partition, offset,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), value), PooledByteBufAllocator.DEFAULT);
        made.add(record);
        history.append(record);
        lastValues.record(record, false);
        return record;
    }

    /** Delivers {@code records} as one poll batch on the loop: LoopDelivery's drain, then its flushes. */
    void deliver(EncodedRecord... records) {
        List<EncodedRecord> batch = new ArrayList<>(records.length);
        for (EncodedRecord record : records) {
            batch.add(record.retain());
        }
        delivery.submit(batch);
        channel.runPendingTasks();
    }

    /**
     * Delivers {@code records} as a drain that is already running: no task of the loop runs first, so a
     * writability change that Netty has queued is not handled yet.
     */
    void deliverNow(EncodedRecord... records) {
        List<EncodedRecord> batch = new ArrayList<>(records.length);
        for (EncodedRecord record : records) {
            batch.add(record.retain());
        }
        delivery.deliver(batch);
        delivery.flushTouched();
    }

    /** Ingests and delivers one record. */
    EncodedRecord publish(int partition, long offset, String key) {
        EncodedRecord record = ingest(partition, offset, key);
        deliver(record);
        return record;
    }

    /** The client stops reading: the channel's outbound buffer counts as full. */
    void stopReading() {
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        channel.runPendingTasks();
    }

    /** The client reads again: the channel turns writable and the session hears of it. */
    void resumeReading() {
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        channel.runPendingTasks();
    }

    /** Every frame the server sent since the last call (close frames are noted in {@link #closeStatuses}). */
    List<ServerFrame> frames() {
        channel.runPendingTasks();
        return reader.frames();
    }

    /** The frames written so far, without running the loop's pending tasks (such as writability events). */
    List<ServerFrame> written() {
        return reader.frames();
    }

    /** The one frame the server sent since the last read; fails if it sent another number of frames. */
    ServerFrame onlyFrame() {
        List<ServerFrame> frames = frames();
        assertEquals(1, frames.size(), () -> "frames: " + frames);
        return frames.get(0);
    }

    /** The statuses of the close frames the server sent so far. */
    List<Integer> closeStatuses() {
        frames();
        return reader.closeStatuses();
    }

    /** The offsets of the {@code Message} frames among {@code frames}, in order. */
    static List<Long> offsets(List<ServerFrame> frames) {
        return ServerFrameReader.offsets(frames);
    }

    /** One line of the metrics' text rendering, e.g. the value of {@code fanwire_bad_requests_total}. */
    double metric(String name) {
        for (String line : metrics.render().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name);
    }

    /** Closes the channel and checks that every record made here is back to the one reference this class holds. */
    @Override
    public void close() {
        channel.finishAndReleaseAll();
        reader.close();
        for (EncodedRecord record : made) {
            assertEquals(1, record.refCnt(), () -> "the gateway kept a reference of " + record.topic() + "-"
                    + record.partition() + "@" + record.offset());
            record.release();
        }
    }
}
