/**
 * The fanwire.v1 wire formats: {@link io.fanwire.gateway.codec.ClientFrameDecoder} for requests,
 * {@link io.fanwire.gateway.codec.ServerFrames} for replies and record frames, and
 * {@link io.fanwire.gateway.codec.EncodedRecord}, a record encoded once (WebSocket header included) and
 * shared by every connection that receives it.
 */
package io.fanwire.gateway.codec;
