package io.fanwire.gateway.auth;

import static io.fanwire.gateway.auth.AccessRules.Action.PUBLISH;
import static io.fanwire.gateway.auth.AccessRules.Action.SUBSCRIBE;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.ConfigKeys;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessRulesTest {

    private static final AccessRules DEFAULTS = AccessRules.parse(ConfigKeys.AUTH_RULES.defaultValue());

    private static Principal user(String sub, Map<String, Object> claims) {
        return new Principal(true, sub, claims, Instant.now().plusSeconds(60));
    }

    @Test
    void defaultsLetAUserReadOnlyTheirOwnInbox() {
        Principal alice = user("alice", Map.of());
        assertTrue(DEFAULTS.allows(SUBSCRIBE, "inbox/alice", alice));
        assertFalse(DEFAULTS.allows(SUBSCRIBE, "inbox/bob", alice));
        assertFalse(DEFAULTS.allows(SUBSCRIBE, "inbox", alice), "the whole inbox topic is everyone's mail");
        assertFalse(DEFAULTS.allows(SUBSCRIBE, "inbox/alice/../bob", alice));
        assertFalse(DEFAULTS.allows(PUBLISH, "inbox/alice", alice));
        assertTrue(DEFAULTS.allows(SUBSCRIBE, "quotes/AAPL", alice));
        assertTrue(DEFAULTS.allows(SUBSCRIBE, "inboxes", alice), "a topic that merely starts with inbox");
    }

    @Test
    void anonymousConnectionsGetNoInboxAtAll() {
        assertFalse(DEFAULTS.allows(SUBSCRIBE, "inbox/alice", Principal.ANONYMOUS));
        assertFalse(DEFAULTS.allows(SUBSCRIBE, "inbox/{sub}", Principal.ANONYMOUS));
        assertTrue(DEFAULTS.allows(SUBSCRIBE, "quotes", Principal.ANONYMOUS));
    }

    @Test
    void theSubjectIsTakenLiterallyNotAsAPattern() {
        Principal star = user("*", Map.of());
        assertFalse(DEFAULTS.allows(SUBSCRIBE, "inbox/bob", star));
        assertTrue(DEFAULTS.allows(SUBSCRIBE, "inbox/*", star));
        Principal slash = user("bob/x", Map.of());
        assertFalse(DEFAULTS.allows(SUBSCRIBE, "inbox/bob", slash));
        assertTrue(DEFAULTS.allows(SUBSCRIBE, "inbox/bob/x", slash));
    }

    @Test
    void claimsFirstMatchAndDefaultDeny() {
        AccessRules rules = AccessRules.parse("""
                publish orders/* claim:roles=trader
                subscribe admin/* claim:scope=admin
                subscribe prices/{sub}/* authenticated;  subscribe prices/* nobody
                """);
        Principal trader = user("t1", Map.of("roles", List.of("viewer", "trader"), "scope", "read admin"));
        Principal viewer = user("v1", Map.of("roles", List.of("viewer"), "scope", "read"));
        assertTrue(rules.allows(PUBLISH, "orders/1", trader));
        assertFalse(rules.allows(PUBLISH, "orders/1", viewer));
        assertFalse(rules.allows(SUBSCRIBE, "orders/1", trader), "no subscribe rule matches: denied");
        assertTrue(rules.allows(SUBSCRIBE, "admin/x", trader), "scope is a space-separated list");
        assertFalse(rules.allows(SUBSCRIBE, "admin/x", viewer));
        assertTrue(rules.allows(SUBSCRIBE, "prices/v1/a/b", viewer));
        assertFalse(rules.allows(SUBSCRIBE, "prices/t1/a", viewer), "first match decides: nobody");
        assertFalse(rules.allows(PUBLISH, "orders/1", Principal.ANONYMOUS));
    }

    @Test
    void malformedRulesAreRejectedWithTheRuleQuoted() {
        assertTrue(assertThrows(ConfigException.class, () -> AccessRules.parse("subscribe quotes"))
                .getMessage().contains("'subscribe quotes'"));
        assertThrows(ConfigException.class, () -> AccessRules.parse("read quotes anyone"));
        assertThrows(ConfigException.class, () -> AccessRules.parse("any quotes everyone"));
        assertThrows(ConfigException.class, () -> AccessRules.parse("any quotes claim:roles"));
    }
}
