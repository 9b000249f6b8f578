package io.fanwire.gateway;

import io.fanwire.gateway.admin.AdminServer;
import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.Authenticator;
import io.fanwire.gateway.auth.TokenVerifier;
import io.fanwire.gateway.auth.VerificationKeys;
import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.ConfigKeys;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.gateway.config.SecurityConfig;
import io.fanwire.gateway.fanout.Fanout;
import io.fanwire.gateway.history.LastValues;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.ingest.CatchUpReaders;
import io.fanwire.gateway.ingest.IngestSettings;
import io.fanwire.gateway.ingest.KafkaIngest;
import io.fanwire.gateway.publish.KafkaPublisher;
import io.fanwire.gateway.publish.PublishSettings;
import io.fanwire.gateway.session.Drain;
import io.fanwire.gateway.session.IdleSweep;
import io.fanwire.gateway.session.PendingBudget;
import io.fanwire.gateway.session.PendingBudgetSweep;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.session.SessionServices;
import io.fanwire.gateway.session.SessionSettings;
import io.fanwire.gateway.subscription.Subscriptions;
import io.fanwire.gateway.transport.ServerTls;
import io.fanwire.gateway.transport.Transports;
import io.fanwire.gateway.transport.WebSocketServer;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.internal.PlatformDependent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: the one place that knows every package. {@link #start} wires configuration →
 * event loops → subscription tables → token keys and access rules →
 * ingest → fan-out → listeners.
 *
 * <p>The data path from a Kafka record to a client's socket, the resume path, the threads and who owns which
 * buffer are drawn in docs/architecture.md; start there.
 *
 * <p>{@link #close} drains, then undoes {@link #start} in reverse order: readiness turns false, the listener
 * stops accepting, every client gets a {@code GoAway} with its resume positions and has {@code drain.grace.ms}
 * to reconnect elsewhere (then 1001), and the consumer, readers, listeners and loops stop. SIGTERM ({@code Main}) and {@code POST /drain} on the admin port both call it.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    /** How long the last connections have to go once the drain's grace period is over. */
    private static final Duration GOODBYE_GRACE = Duration.ofSeconds(5);
    private static final String DRAINING = "draining";

    private final GatewayConfig config;
    private final Deque<AutoCloseable> resources;
    private final WebSocketServer webSocketServer;
    private final AdminServer adminServer;
    private final KafkaIngest ingest;
    private final GatewayMetrics metrics;
    private final AtomicBoolean closing;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    private Gateway(GatewayConfig config, Deque<AutoCloseable> resources, WebSocketServer webSocketServer,
                    AdminServer adminServer, KafkaIngest ingest, GatewayMetrics metrics, AtomicBoolean closing) {
        this.config = config;
        this.resources = resources;
        this.webSocketServer = webSocketServer;
        this.adminServer = adminServer;
        this.ingest = ingest;
        this.metrics = metrics;
        this.closing = closing;
    }

    /**
     * Starts everything {@code config} asks for; on failure, stops what was started and rethrows. The Kafka
     * brokers must be named: dev mode's embedded broker and demo feed are started by the dev launcher
     * ({@code fanwire-dev.jar}), which then passes {@link GatewayConfig#withBootstrapServers}.
     */
    public static Gateway start(GatewayConfig config) throws Exception {
        if (config.bootstrapServers() == null) {
            throw new ConfigException(ConfigKeys.KAFKA_BOOTSTRAP + " is required: this is the production gateway."
                    + " Dev mode, with its own Kafka broker and demo feed, is java -jar dev/target/fanwire-dev.jar");
        }
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            Transports transports = Transports.choose(config.transport());
            EventLoopGroup acceptor = transports.newGroup(1, "fanwire-accept");
            resources.push(() -> acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
            EventLoopGroup workers = transports.newGroup(config.ioThreads(), "fanwire-io");
            resources.push(() -> workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());

            GatewayMetrics metrics = new GatewayMetrics();
            metrics.payloadFallbackSource(config.payloadFormats()::fallbacks);
            Subscriptions<Session> subscriptions = new Subscriptions<>(Transports.loopsOf(workers), config.topics());
            KafkaPublisher publisher = null;
            if (config.publishEnabled()) {
                publisher = new KafkaPublisher(PublishSettings.from(config));
                resources.push(publisher);
            }
            SecurityConfig security = config.security();
            TokenVerifier verifier = null;
            if (security.verifiesTokens()) {
                VerificationKeys keys = VerificationKeys.load(security.hs256Secret(), security.publicKeyFile(),
                        security.jwksFile(), security.jwksReload());
                resources.push(keys);
                verifier = new TokenVerifier(keys, security.issuer(), security.audience(), security.clockSkew(),
                        Clock.systemUTC());
            }
            List<IdleSweep> idleSweeps = new ArrayList<>();
            PendingBudget pendingBudget = new PendingBudget(PendingBudget.resolve(config.maxPendingBytesTotal(),
                    PlatformDependent.maxDirectMemory()), subscriptions.loops().size());
            for (EventLoop loop : subscriptions.loops()) {
                IdleSweep sweep = new IdleSweep(loop, config.pingInterval(), config.idleTimeout());
                sweep.start();
                new PendingBudgetSweep(sweep, pendingBudget, idleSweeps.size()).start();
                idleSweeps.add(sweep);
            }
            metrics.pendingBudgetSource(pendingBudget::total, pendingBudget.limit());
            log.info("pending bytes budget {} MiB for all connections (ws.max.pending.bytes.total; direct memory "
                    + "limit {} MiB)", pendingBudget.limit() >> 20, PlatformDependent.maxDirectMemory() >> 20);
            SslContext tls = security.tls() ? ServerTls.load(security.tlsCertFile(), security.tlsKeyFile()) : null;
            RecordHistory history = new RecordHistory(config.historyPartitionMaxBytes(),
                    subscriptions.loops().size());
            IngestSettings ingestSettings = IngestSettings.from(config);
            CatchUpReaders catchUp = new CatchUpReaders(ingestSettings);
            resources.push(catchUp);
            LastValues lastValues = new LastValues(config.snapshotTopics(), config.snapshotTopicMaxBytes());

            Fanout fanout = new Fanout(subscriptions, history, metrics);
            KafkaIngest ingest = new KafkaIngest(ingestSettings, fanout, history, lastValues, metrics,
                    PooledByteBufAllocator.DEFAULT);
            ingest.start();
            resources.push(ingest);
            SessionServices services = new SessionServices(subscriptions, metrics, publisher, history, catchUp,
                    lastValues, List.copyOf(idleSweeps), new Authenticator(verifier, security.anonymous()),
                    AccessRules.parse(security.rules()), config.limits(), ingest::startedServing,
                    SessionSettings.from(config), pendingBudget);

            WebSocketServer webSocketServer = WebSocketServer.bind(WebSocketServer.Settings.from(config, tls),
                    transports, acceptor, workers, services);
            resources.push(webSocketServer);
            metrics.outboundPendingSource(webSocketServer::outboundPendingBytes);

            AtomicBoolean closing = new AtomicBoolean();
            metrics.readinessSource(() -> !closing.get() && ingest.ready(), closing::get);
            CompletableFuture<Gateway> self = new CompletableFuture<>();
            // What POST /drain runs (behind the admin token check): the same drain as SIGTERM, off the admin loop.
            Runnable drain = () -> self.thenAccept(Gateway::drainInBackground);
            AdminServer adminServer = AdminServer.bind(config.adminBindAddress(), config.adminPort(), acceptor,
                    transports.serverChannel(), () -> !closing.get() && ingest.ready(), metrics,
                    config.security().adminToken(), security.tls() && security.adminTls() ? tls : null, drain);
            resources.push(adminServer);

            Gateway gateway = new Gateway(config, resources, webSocketServer, adminServer, ingest, metrics, closing);
            self.complete(gateway);
            return gateway;
        } catch (Exception | Error e) {
            closeAll(resources);
            throw e;
        }
    }

    /** Ready for traffic: the consumer is at the live end of every served partition, and not shutting down. */
    public boolean ready() {
        return !closing.get() && ingest.ready();
    }

    /**
     * Accepting WebSocket clients: the node knows the partitions of the served topics that exist and has loaded
     * its snapshot topics. Until then upgrades get 503. Unlike {@link #ready} it stays true while a topic is
     * missing or Kafka is unreachable.
     */
    public boolean serving() {
        return ingest.startedServing();
    }

    public GatewayConfig config() {
        return config;
    }

    public int port() {
        return webSocketServer.port();
    }

    public int adminPort() {
        return adminServer.port();
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /**
     * Drains, then stops: readiness false, no new connections, a {@code GoAway} with resume positions to every
     * client, {@code drain.grace.ms} for them to leave (then 1001), then everything else. Blocks until done;
     * a second call (another thread) waits for the first.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            closed.join();
            return;
        }
        try {
            log.info("draining: {} client connections get a GoAway and {} ms to move",
                    webSocketServer.connectionCount(), config.drainGrace().toMillis());
            webSocketServer.stopAccepting();
            webSocketServer.closeConnections(new Drain(DRAINING, config.drainReconnectSpread().toMillis(),
                    config.drainGrace()), config.drainGrace().plus(GOODBYE_GRACE));
            closeAll(resources);
            log.info("stopped");
        } finally {
            closed.complete(null);
        }
    }

    /** Starts {@link #close} on a thread of its own and returns: what SIGTERM, SIGINT and {@code POST /drain} do. */
    public void drainInBackground() {
        new Thread(this::close, "fanwire-drain").start();
    }

    /** Completes when {@link #close} has finished, whoever started it (SIGTERM, {@code POST /drain}). */
    public CompletableFuture<Void> closed() {
        return closed;
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("error while stopping {}: {}", resource, e.toString());
            }
        }
    }
}
