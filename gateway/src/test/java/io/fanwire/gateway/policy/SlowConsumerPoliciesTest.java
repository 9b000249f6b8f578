package io.fanwire.gateway.policy;

import static io.fanwire.gateway.policy.SlowConsumerPolicy.CONFLATE;
import static io.fanwire.gateway.policy.SlowConsumerPolicy.DISCONNECT;
import static io.fanwire.gateway.policy.SlowConsumerPolicy.DROP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SlowConsumerPoliciesTest {

    @Test
    void firstMatchingRuleWinsAndTopicPatternsMatchTheTopic() {
        SlowConsumerPolicies policies = SlowConsumerPolicies.parse("quotes*=conflate, inbox=disconnect, *=drop");
        assertEquals(CONFLATE, policies.policyFor("quotes", "AAPL"));
        assertEquals(CONFLATE, policies.policyFor("quotes-eu", null));
        assertEquals(DISCONNECT, policies.policyFor("inbox", "user-1"));
        assertEquals(DROP, policies.policyFor("trades", "AAPL"));
        assertEquals(DROP, policies.policyFor("inboxes", "x"));
        assertEquals("quotes*=conflate,inbox=disconnect,*=drop", policies.toString());
    }

    @Test
    void patternsWithASlashMatchTheChannel() {
        SlowConsumerPolicies policies = SlowConsumerPolicies.parse("inbox/vip-*=disconnect,inbox=drop");
        assertEquals(DISCONNECT, policies.policyFor("inbox", "vip-7"));
        assertEquals(DROP, policies.policyFor("inbox", "user-7"));
        assertEquals(DROP, policies.policyFor("inbox", null));
    }

    @Test
    void unmatchedRecordsGetTheLosslessDisconnect() {
        assertEquals(DISCONNECT, SlowConsumerPolicies.parse("inbox=drop").policyFor("quotes", "AAPL"));
    }

    @Test
    void badRulesAreRejectedWithASentence() {
        assertEquals("unknown policy 'slow': use conflate, drop or disconnect",
                assertThrows(IllegalArgumentException.class, () -> SlowConsumerPolicies.parse("*=slow")).getMessage());
        assertEquals("rule 'quotes' is not pattern=policy",
                assertThrows(IllegalArgumentException.class, () -> SlowConsumerPolicies.parse("quotes")).getMessage());
        assertEquals("rule '=drop' has an empty pattern",
                assertThrows(IllegalArgumentException.class, () -> SlowConsumerPolicies.parse("=drop")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SlowConsumerPolicies.parse(" , "));
    }

    @Test
    void globStarMatchesAnyRun() {
        assertTrue(SlowConsumerPolicies.Glob.matches("*", ""));
        assertTrue(SlowConsumerPolicies.Glob.matches("a*b*c", "aXXbYYbc"));
        assertTrue(SlowConsumerPolicies.Glob.matches("quotes/*", "quotes/a/b"));
        assertFalse(SlowConsumerPolicies.Glob.matches("a*b", "aXXc"));
        assertFalse(SlowConsumerPolicies.Glob.matches("quotes", "quotes2"));
    }
}
