package io.fanwire.benchmarks.jmh;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Stands in for the socket: the first handler after the pipeline's head, it swallows every write and every
 * flush, so the benchmark measures Fanwire's code and Netty's pipeline, never {@code ChannelOutboundBuffer},
 * the kernel or {@code EmbeddedChannel}'s own queues and task runner (which a flush reaching the head would
 * run). Each write's promise is completed at once.
 *
 * <p>{@link FanoutBenchmark.Release#WRITE} releases each message as it is written: nothing is ever held.
 * {@link FanoutBenchmark.Release#FLUSH} holds the messages until the next flush, as the outbound buffer
 * does until the socket takes them, so that as many written buffers are alive at once as in the gateway.
 *
 * <p>One per channel; runs on the channel's {@code EmbeddedEventLoop}, which is any thread.
 */
final class DiscardingOutboundHandler extends ChannelOutboundHandlerAdapter {

    private final FanoutBenchmark.Release release;
    private final List<Object> held = new ArrayList<>();

    DiscardingOutboundHandler(FanoutBenchmark.Release release) {
        this.release = release;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (release == FanoutBenchmark.Release.WRITE) {
            ReferenceCountUtil.release(msg);
        } else {
            held.add(msg);
        }
        promise.trySuccess();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        for (int i = 0; i < held.size(); i++) {
            ReferenceCountUtil.release(held.get(i));
        }
        held.clear();
    }

    /** Messages written and not yet flushed; zero after every complete delivery. */
    int held() {
        return held.size();
    }
}
