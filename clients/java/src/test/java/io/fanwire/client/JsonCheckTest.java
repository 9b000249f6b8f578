package io.fanwire.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JsonCheckTest {

    @Test
    void acceptsEveryKindOfJsonValue() {
        for (String ok : new String[] {"{}", "[]", "0", "-1.5e+3", "\"a\\u00e9\\n\"", "true", "null",
                " {\"a\": [1, {\"b\": null}], \"c\": \"d\"} ", "[1,2,3]"}) {
            assertTrue(JsonCheck.isJson(ok), ok);
        }
    }

    @Test
    void refusesWhatIsNotExactlyOneStrictJsonValue() {
        for (String bad : new String[] {"", " ", "k0:5", "hello", "{a:1}", "{\"a\":1", "[1,]", "01", "1 2",
                "{\"a\":1}x", "'a'", "\"tab\there\"", "tru", "-", "1.", "{\"a\" 1}", "NaN"}) {
            assertFalse(JsonCheck.isJson(bad), bad);
        }
    }
}
