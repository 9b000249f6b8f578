package io.fanwire.gateway.transport;

import io.fanwire.gateway.config.ConfigException;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of TLS for the WebSocket and admin listeners, from PEM files: BoringSSL through
 * netty-tcnative where its native library loads on this platform, the JDK's TLS otherwise. Both offer TLS 1.2
 * and 1.3 with their default cipher suites. Immutable; any thread.
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    private ServerTls() {
    }

    /** The context for {@code certFile} (PEM chain, leaf first) and {@code keyFile} (PEM PKCS#8 key). */
    public static SslContext load(String certFile, String keyFile) {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        try {
            SslContext context = SslContextBuilder.forServer(new File(certFile), new File(keyFile))
                    .sslProvider(provider)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
            log.info("TLS from {} ({})", certFile, provider == SslProvider.OPENSSL
                    ? "BoringSSL via netty-tcnative" : "JDK; netty-tcnative not available: " + OpenSsl.unavailabilityCause());
            return context;
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException("tls.cert.file / tls.key.file cannot be used: " + e.getMessage());
        }
    }
}
