package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.ConfigLoader;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The session layer's settings come from the catalog's keys, and nonsense is refused when they are built. */
class SessionSettingsTest {

    @Test
    void takenFromTheirKeys() {
        GatewayConfig config = ConfigLoader.load(ConfigLoader.parse(List.of("--ws-max-frame-bytes", "4096",
                "--ws-max-channel-length", "64", "--ws-max-subscriptions", "7", "--ws-max-pending-bytes", "123456",
                "--slow-consumer-policy", "q*=drop")), Map.of());
        SessionSettings settings = SessionSettings.from(config);
        assertEquals(new SessionSettings(4096, 64, 7, 123456, config.slowConsumerPolicies(),
                config.payloadFormats()), settings);
        assertEquals(SlowConsumerPolicy.DROP, settings.slowConsumerPolicies().policyFor("quotes", null));
    }

    @Test
    void limitsMustBePositive() {
        SlowConsumerPolicies policies = SlowConsumerPolicies.always(SlowConsumerPolicy.DISCONNECT);
        assertThrows(ConfigException.class, () -> new SessionSettings(0, 64, 7, 1, policies, PayloadFormats.none()));
        assertThrows(ConfigException.class, () -> new SessionSettings(1, 64, 7, 0, policies, PayloadFormats.none()));
    }
}
