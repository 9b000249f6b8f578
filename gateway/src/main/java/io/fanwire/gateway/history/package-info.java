/**
 * What this node has read of each served partition: positions and a bounded history of recent records,
 * kept by the ingest thread and read by resuming subscriptions. Starting point:
 * {@link io.fanwire.gateway.history.RecordHistory}.
 */
package io.fanwire.gateway.history;
