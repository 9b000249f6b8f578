package io.fanwire.gateway.admin;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The gateway's counters and gauges, rendered in the Prometheus text format by {@link #render()}.
 *
 * <p>Any thread. The hot path adds to these once per event-loop task or per poll batch, never once per
 * delivered frame, so that contention stays off it; only connections that are behind count per record
 * (conflated, dropped). The exception is {@link #recordAges()}, observed once per record per event loop, which
 * is built for it.
 */
public final class GatewayMetrics {

    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong subscriptions = new AtomicLong();
    private final LongAdder connectionsTotal = new LongAdder();
    private final LongAdder compressedConnections = new LongAdder();
    private final LongAdder recordsConsumed = new LongAdder();
    private final LongAdder framesDelivered = new LongAdder();
    private final LongAdder bytesDelivered = new LongAdder();
    private final LongAdder badRequests = new LongAdder();
    private final LongAdder slowConsumerDisconnects = new LongAdder();
    private final LongAdder deliveryFailures = new LongAdder();
    private final LongAdder ingestMemoryWaits = new LongAdder();
    private final LongAdder recordsConflated = new LongAdder();
    private final LongAdder recordsDropped = new LongAdder();
    private final LongAdder gapsSent = new LongAdder();
    private final LongAdder published = new LongAdder();
    private final LongAdder heldBytes = new LongAdder();
    private final LongAdder acceptErrors = new LongAdder();
    private volatile long connectionCapacity;
    private volatile Supplier<Map<String, Long>> lagByPartition = Map::of;
    private final LongAdder[] authRejections = adders(AuthRejection.values().length);
    private volatile LongSupplier outboundPending = () -> 0;
    private volatile LongSupplier pendingTotal = () -> 0;
    private volatile long pendingBudget;
    private volatile LongSupplier payloadFallbacks = () -> 0;
    private final LongAdder[] limitsExceeded = adders(Limit.values().length);
    private final LongAdder[] proxyRejections = adders(ProxyRejection.values().length);
    private final LongAdder drainGoAways = new LongAdder();
    private volatile BooleanSupplier ready = () -> false;
    private volatile BooleanSupplier draining = () -> false;
    private final RecordAgeHistogram recordAges;

    /** Record ages are measured against the system clock. */
    public GatewayMetrics() {
        this(Clock.systemUTC());
    }

    /** Record ages are measured against {@code clock}. */
    public GatewayMetrics(Clock clock) {
        this.recordAges = new RecordAgeHistogram(clock);
    }

    public void connectionOpened() {
        connections.incrementAndGet();
        connectionsTotal.increment();
    }

    /** A connection negotiated permessage-deflate at its upgrade. */
    public void compressionNegotiated() {
        compressedConnections.increment();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void subscriptionsChanged(int delta) {
        subscriptions.addAndGet(delta);
    }

    public void recordsConsumed(int count) {
        recordsConsumed.add(count);
    }

    public void delivered(long frames, long bytes) {
        framesDelivered.add(frames);
        bytesDelivered.add(bytes);
    }

    public void badRequest() {
        badRequests.increment();
    }

    /** Ingest found direct memory exhausted and waits to read the same records again. */
    public void ingestMemoryWait() {
        ingestMemoryWaits.increment();
    }

    /** A write to a connection threw; the connection was cut. */
    public void deliveryFailed() {
        deliveryFailures.increment();
    }

    public void slowConsumerDisconnected() {
        slowConsumerDisconnects.increment();
    }

    /** Records a slow consumer will not get because a newer record of the same key replaced them. */
    public void recordsConflated(int count) {
        recordsConflated.add(count);
    }

    /** Records dropped for a slow consumer under the drop policy (or keyless under conflate). */
    public void recordsDropped(int count) {
        recordsDropped.add(count);
    }

    /** Bytes held back for slow consumers changed by {@code delta}. */
    public void heldBytesChanged(long delta) {
        heldBytes.add(delta);
    }

    public void gapSent() {
        gapsSent.increment();
    }

    public void published() {
        published.increment();
    }

    public void authRejected(AuthRejection reason) {
        authRejections[reason.ordinal()].increment();
    }

    /** An {@code accept} on the WebSocket listener failed (out of file descriptors, most likely). */
    public void acceptFailed() {
        acceptErrors.increment();
    }

    /** The most client connections this node holds: ws.max.connections, capped by the descriptor limit. */
    public void connectionCapacity(long capacity) {
        connectionCapacity = capacity;
    }

    public void limitExceeded(Limit limit) {
        limitsExceeded[limit.ordinal()].increment();
    }

    /** A connection closed because it did not start with a valid PROXY protocol header. */
    public void proxyRejected(ProxyRejection reason) {
        proxyRejections[reason.ordinal()].increment();
    }

    /** A drain told a connection to go away ({@code GoAway} with its positions, then 1001). */
    public void drainGoAwaySent() {
        drainGoAways.increment();
    }

    /** {@code fanwire_record_age_seconds}: event loops observe each live record they write. */
    public RecordAgeHistogram recordAges() {
        return recordAges;
    }

    /**
     * Where {@code fanwire_ready} and {@code fanwire_draining} come from: what {@code /readyz} answers, and
     * whether a drain has started.
     */
    public void readinessSource(BooleanSupplier ready, BooleanSupplier draining) {
        this.ready = ready;
        this.draining = draining;
    }

    /** Where {@code fanwire_consumer_lag} comes from: partition ("topic-N") to records behind the log end. */
    public void lagSource(Supplier<Map<String, Long>> source) {
        this.lagByPartition = source;
    }

    /** Where {@code fanwire_payload_format_fallbacks_total} comes from: values sent as base64 against their format. */
    public void payloadFallbackSource(LongSupplier source) {
        this.payloadFallbacks = source;
    }

    /** Where the pending bytes that {@code ws.max.pending.bytes.total} bounds come from, and that budget. */
    public void pendingBudgetSource(LongSupplier total, long budget) {
        this.pendingTotal = total;
        this.pendingBudget = budget;
    }

    /** Where {@code fanwire_outbound_pending_bytes} comes from: bytes queued in connections' outbound buffers. */
    public void outboundPendingSource(LongSupplier source) {
        this.outboundPending = source;
    }

    public long connections() {
        return connections.get();
    }

    public long subscriptions() {
        return subscriptions.get();
    }

    /** All metrics in the Prometheus text exposition format, version 0.0.4. */
    public String render() {
        StringBuilder out = new StringBuilder(4096);
        gauge(out, "fanwire_ready", "1 while /readyz answers 200: partitions assigned, at the live end, not draining.",
                ready.getAsBoolean() ? 1 : 0);
        gauge(out, "fanwire_draining", "1 from the moment a drain (SIGTERM, POST /drain) starts until the exit.",
                draining.getAsBoolean() ? 1 : 0);
        gauge(out, "fanwire_connections", "Open WebSocket connections.", connections.get());
        gauge(out, "fanwire_subscriptions", "Subscriptions held by open connections.", subscriptions.get());
        gauge(out, "fanwire_connection_capacity", "Most client connections this node holds: ws.max.connections, "
                + "capped by the file descriptor limit less ws.descriptor.reserve.", connectionCapacity);
        counter(out, "fanwire_connections_total", "WebSocket connections accepted.", connectionsTotal.sum());
        counter(out, "fanwire_compressed_connections_total", "WebSocket connections that negotiated "
                + "permessage-deflate (ws.compression).", compressedConnections.sum());
        counter(out, "fanwire_accept_errors_total", "Failed accepts on the WebSocket listener (such as EMFILE: out "
                + "of file descriptors).", acceptErrors.sum());
        counter(out, "fanwire_records_consumed_total", "Kafka records consumed.", recordsConsumed.sum());
        counter(out, "fanwire_frames_delivered_total", "Record frames written to connections.", framesDelivered.sum());
        counter(out, "fanwire_bytes_delivered_total", "Bytes of record frames written to connections.",
                bytesDelivered.sum());
        counter(out, "fanwire_bad_requests_total", "Client frames answered with BAD_REQUEST.", badRequests.sum());
        counter(out, "fanwire_payload_format_fallbacks_total",
                "Record values of json or text topics (payload.formats) that were not valid JSON or UTF-8 and went "
                        + "to JSON connections as base64 payload.", payloadFallbacks.getAsLong());
        counter(out, "fanwire_slow_consumer_disconnects_total",
                "Connections closed because they did not read fast enough.", slowConsumerDisconnects.sum());
        counter(out, "fanwire_delivery_failures_total",
                "Writes to a connection that threw (out of direct memory, or a bug: the log has the first "
                        + "stacks); each cut its connection.",
                deliveryFailures.sum());
        counter(out, "fanwire_ingest_memory_waits_total",
                "Times ingest found direct memory exhausted and waited to read the same records again.",
                ingestMemoryWaits.sum());
        counter(out, "fanwire_records_conflated_total",
                "Records a slow consumer skipped because a newer record of the same key replaced them.",
                recordsConflated.sum());
        counter(out, "fanwire_records_dropped_total", "Records dropped for slow consumers (drop policy).",
                recordsDropped.sum());
        counter(out, "fanwire_gaps_sent_total", "Gap frames sent to slow consumers for dropped records.",
                gapsSent.sum());
        counter(out, "fanwire_published_total", "Client publishes acknowledged by Kafka.", published.sum());
        gauge(out, "fanwire_outbound_pending_bytes",
                "Bytes queued in connections' outbound buffers, not yet taken by the kernel.",
                outboundPending.getAsLong());
        gauge(out, "fanwire_pending_bytes", "Bytes pending for all connections as the node budget counts them "
                + "(outbound buffers plus records held by slow-consumer policies and max_rate), as the event "
                + "loops last counted them (every 50 ms).",
                pendingTotal.getAsLong());
        gauge(out, "fanwire_pending_budget_bytes", "The node budget for pending bytes (ws.max.pending.bytes.total, "
                + "resolved); past it the connections furthest behind are closed.", pendingBudget);
        gauge(out, "fanwire_slow_consumer_held_bytes",
                "Bytes of records held back for slow consumers by their policy (conflated records, drop ranges).",
                heldBytes.sum());
        gauge(out, "fanwire_jvm_heap_used_bytes", "Java heap in use (includes garbage not yet collected).",
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        gauge(out, "fanwire_direct_memory_used_bytes",
                "Direct memory held by Netty's pooled allocator (arenas, including free space in them).",
                PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory());
        gauge(out, "fanwire_direct_memory_max_bytes",
                "The direct memory limit (-XX:MaxDirectMemorySize, or io.netty.maxDirectMemory when set).",
                PlatformDependent.maxDirectMemory());
        counter(out, "fanwire_drain_goaways_total",
                "Connections a drain told to go away (GoAway with resume positions, then close 1001).",
                drainGoAways.sum());
        recordAges.render(out);
        out.append("# HELP fanwire_auth_rejections_total Upgrades and requests refused by authentication or "
                + "access rules, by reason.\n# TYPE fanwire_auth_rejections_total counter\n");
        for (AuthRejection reason : AuthRejection.values()) {
            out.append("fanwire_auth_rejections_total{reason=\"").append(reason.label()).append("\"} ")
                    .append(authRejections[reason.ordinal()].sum()).append('\n');
        }
        out.append("# HELP fanwire_limit_exceeded_total Connections, frames and requests refused or closed by a "
                + "limit, by limit.\n# TYPE fanwire_limit_exceeded_total counter\n");
        for (Limit limit : Limit.values()) {
            out.append("fanwire_limit_exceeded_total{limit=\"").append(limit.label()).append("\"} ")
                    .append(limitsExceeded[limit.ordinal()].sum()).append('\n');
        }
        out.append("# HELP fanwire_proxy_protocol_rejected_total Connections closed because they did not start "
                + "with a valid PROXY protocol header (ws.proxy.protocol), by reason.\n"
                + "# TYPE fanwire_proxy_protocol_rejected_total counter\n");
        for (ProxyRejection reason : ProxyRejection.values()) {
            out.append("fanwire_proxy_protocol_rejected_total{reason=\"").append(reason.label()).append("\"} ")
                    .append(proxyRejections[reason.ordinal()].sum()).append('\n');
        }
        out.append("# HELP fanwire_consumer_lag Records between the gateway's position and the log end.\n")
                .append("# TYPE fanwire_consumer_lag gauge\n");
        lagByPartition.get().forEach((partition, lag) -> {
            int dash = partition.lastIndexOf('-');
            out.append("fanwire_consumer_lag{topic=\"").append(partition, 0, dash)
                    .append("\",partition=\"").append(partition.substring(dash + 1)).append("\"} ")
                    .append(lag).append('\n');
        });
        return out.toString();
    }

    private static LongAdder[] adders(int count) {
        LongAdder[] adders = new LongAdder[count];
        for (int i = 0; i < count; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        metric(out, name, "gauge", help, value);
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        metric(out, name, "counter", help, value);
    }

    private static void metric(StringBuilder out, String name, String type, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n')
                .append(name).append(' ').append(value).append('\n');
    }
}
