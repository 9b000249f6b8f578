/**
 * From a poll batch to the event loops: {@link io.fanwire.gateway.fanout.Fanout} sends one task per
 * interested loop per batch; the task writes shared frames to matching sessions and flushes each once.
 * {@code Fanout} is the ingest thread's {@link io.fanwire.gateway.ingest.BatchSink}.
 */
package io.fanwire.gateway.fanout;
