package io.fanwire.benchmarks.soak;

import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * One soak client: subscribes to its topic with {@code fanwire.v1.proto}, decodes every frame, and checks what
 * arrives: per key the sequence numbers the producer wrote (contiguous for a healthy client), per partition
 * that messages and gaps follow each other without overlap, and the latency of each record (send time in the
 * payload, same host clock). A frozen client stops reading ({@code autoRead} off) until it is thawed.
 *
 * <p>Event loop only, except the accessors, which synchronize.
 */
final class SoakClient extends SimpleChannelInboundHandler<WebSocketFrame> {

    final String topic;
    final boolean frozenCandidate;
    private final CountDownLatch subscribed;
    private final SoakPhases phases;
    private final Map<Integer, BitSet> offsetsByPartition = new HashMap<>();
    private final Map<Integer, Long> lastOffsetByPartition = new HashMap<>();
    private final Map<String, BitSet> seqsByKey = new HashMap<>();
    private final Map<String, Integer> lastSeqByKey = new HashMap<>();
    private long unique;
    private long duplicates;
    private long covered;
    private long gaps;
    private boolean goAway;
    private int closeStatus = -1;
    private boolean closed;
    private String failure;
    private Channel channel;

    SoakClient(String topic, boolean frozenCandidate, CountDownLatch subscribed, SoakPhases phases) {
        this.topic = topic;
        this.frozenCandidate = frozenCandidate;
        this.subscribed = subscribed;
        this.phases = phases;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            channel = ctx.channel();
            byte[] subscribe = ClientFrame.newBuilder().setId(1)
                    .setSubscribe(Subscribe.newBuilder().setChannel(topic)).build().toByteArray();
            ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(subscribe)));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws Exception {
        if (frame instanceof CloseWebSocketFrame close) {
            synchronized (this) {
                closeStatus = close.statusCode();
            }
            return;
        }
        if (!(frame instanceof BinaryWebSocketFrame)) {
            return;
        }
        long now = System.nanoTime();
        ServerFrame server = ServerFrame.parseFrom(ByteBufUtil.getBytes(frame.content()));
        synchronized (this) {
            switch (server.getKindCase()) {
                case MESSAGE -> onMessage(server.getMessage(), now);
                case GAP -> onGap(server.getGap());
                case GO_AWAY -> goAway = true;
                case REPLY -> {
                    if (server.getReply().hasSubscribed()) {
                        subscribed.countDown();
                    } else {
                        fail("reply " + server.getReply());
                    }
                }
                default -> { }
            }
        }
    }

    private void onMessage(Message message, long now) {
        BitSet offsets = offsetsByPartition.computeIfAbsent(message.getPartition(), p -> new BitSet());
        if (offsets.get((int) message.getOffset())) {
            duplicates++;
            return;
        }
        offsets.set((int) message.getOffset());
        unique++;
        String payload = message.getPayload().toStringUtf8();
        int bar1 = payload.indexOf('|');
        int bar2 = payload.indexOf('|', bar1 + 1);
        int seq = Integer.parseInt(payload, 0, bar1, 10);
        long sentNanos = Long.parseLong(payload, bar1 + 1, bar2, 10);
        if (!frozenCandidate) {
            phases.record(sentNanos, now - sentNanos);
        }
        seqsByKey.computeIfAbsent(message.getKey(), k -> new BitSet()).set(seq);
        Integer before = lastSeqByKey.put(message.getKey(), seq);
        if (before != null && seq <= before) {
            fail(message.getKey() + ": seq " + seq + " after " + before);
        }
        cover(message.getPartition(), message.getOffset(), message.getOffset());
    }

    private void onGap(Gap gap) {
        gaps++;
        cover(gap.getPartition(), gap.getFromOffset(), gap.getToOffset());
    }

    private void cover(int partition, long from, long to) {
        Long last = lastOffsetByPartition.get(partition);
        if (last != null && from <= last) {
            fail("partition " + partition + ": " + from + ".." + to + " after " + last);
        }
        lastOffsetByPartition.put(partition, to);
        covered += to - from + 1;
    }

    private void fail(String why) {
        if (failure == null) {
            failure = why;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        synchronized (this) {
            closed = true;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        synchronized (this) {
            fail(cause.toString());
        }
        ctx.close();
    }

    void freeze() {
        channel.config().setAutoRead(false);
    }

    void thaw() {
        if (channel.isActive()) {
            channel.config().setAutoRead(true);
            channel.read();
        }
    }

    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    synchronized long unique() {
        return unique;
    }

    synchronized long duplicates() {
        return duplicates;
    }

    synchronized long covered() {
        return covered;
    }

    synchronized long gaps() {
        return gaps;
    }

    synchronized boolean closed() {
        return closed;
    }

    synchronized boolean goAway() {
        return goAway;
    }

    synchronized int closeStatus() {
        return closeStatus;
    }

    synchronized String failure() {
        return failure;
    }

    /** True when every key's sequence numbers are exactly 0 … produced − 1. */
    synchronized boolean contiguous(Map<String, Integer> producedPerKey) {
        for (Map.Entry<String, Integer> key : producedPerKey.entrySet()) {
            BitSet seqs = seqsByKey.get(key.getKey());
            int n = key.getValue();
            if (n > 0 && (seqs == null || seqs.cardinality() != n || seqs.nextClearBit(0) != n)) {
                return false;
            }
        }
        return true;
    }

    /** True when every key's last sequence number received is its newest. */
    synchronized boolean hasNewest(Map<String, Integer> producedPerKey) {
        for (Map.Entry<String, Integer> key : producedPerKey.entrySet()) {
            Integer last = lastSeqByKey.get(key.getKey());
            if (key.getValue() > 0 && (last == null || last != key.getValue() - 1)) {
                return false;
            }
        }
        return true;
    }
}
