package io.fanwire.benchmarks.jmh;

import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;

/**
 * Stands where the gateway's {@code SessionHandler} stands, last in the pipeline, and keeps its
 * {@link ChannelHandlerContext} so that a {@code Session} can write from there as the real one does.
 */
final class ContextCaptureHandler extends ChannelHandlerAdapter {

    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    ChannelHandlerContext context() {
        if (ctx == null) {
            throw new IllegalStateException("handler not added to a pipeline");
        }
        return ctx;
    }
}
