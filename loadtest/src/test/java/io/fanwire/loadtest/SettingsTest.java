package io.fanwire.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.protocol.v1.ServerFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The knobs, the channel template, the wire formats, and the README's knob table. */
class SettingsTest {

    private static LoadSettings read(String... pairs) {
        Properties properties = new Properties();
        for (int i = 0; i < pairs.length; i += 2) {
            properties.setProperty(pairs[i], pairs[i + 1]);
        }
        return LoadSettings.read(properties, Map.of(Knob.USERS, "7"));
    }

    @Test
    void defaultsTargetDevMode() {
        LoadSettings settings = read();
        assertEquals("ws://localhost:8080/ws", settings.urlFor(0).toString());
        assertEquals(7, settings.users());
        assertEquals(WireFormat.JSON, settings.wire());
        assertEquals("127.0.0.1:9092", settings.kafka().get("bootstrap.servers"));
        assertEquals(Duration.ofSeconds(40), settings.loadPhase());
    }

    @Test
    void kafkaPropertiesPassThroughAndUrlsRotate() {
        LoadSettings settings = read(Knob.URL.key(), "wss://a:443/ws, wss://b:443/ws",
                "fanwire.kafka.security.protocol", "SSL", Knob.RAMP.key(), "0.5");
        assertEquals("SSL", settings.kafka().get("security.protocol"));
        assertEquals("wss://b:443/ws", settings.urlFor(1).toString());
        assertEquals("wss://a:443/ws", settings.reconnectUrlFor(1).toString());
        assertEquals(Duration.ofMillis(500), settings.ramp());
    }

    @Test
    void badValuesNameTheirProperty() {
        for (String[] bad : List.of(new String[] {Knob.URL.key(), "http://x/ws"},
                new String[] {Knob.USERS.key(), "many"}, new String[] {Knob.SUBPROTOCOL.key(), "xml"},
                new String[] {Knob.SNAPSHOT.key(), "yes"}, new String[] {Knob.CHANNEL.key(), "quotes/"},
                new String[] {Knob.CHANNEL.key(), "inbox/{sub}"})) {
            var e = assertThrows(IllegalArgumentException.class, () -> read(bad).feedKeys());
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
    }

    @Test
    void channelTemplatesGiveEachUserItsChannelAndTheFeedItsKeys() {
        ChannelTemplate keyed = new ChannelTemplate("trades/lt-{key}", 3);
        assertEquals("trades/lt-1", keyed.channelFor(4, ""));
        assertEquals(List.of("lt-0", "lt-1", "lt-2"), keyed.keys(10, user -> ""));
        ChannelTemplate inbox = new ChannelTemplate("inbox/{sub}", 1);
        assertEquals("inbox/u2", inbox.channelFor(2, "u2"));
        assertEquals(List.of("u0", "u1"), inbox.keys(2, user -> "u" + user));
        ChannelTemplate whole = new ChannelTemplate("quotes", 2);
        assertEquals("quotes", whole.channelFor(5, ""));
        assertEquals(List.of("lt-0", "lt-1"), whole.keys(100, user -> ""));
    }

    @Test
    void bothWireFormatsDecodeTheProtocolExamples() {
        ServerFrame json = WireFormat.decode("{\"message\":{\"channel\":\"quotes/AAPL\",\"key\":\"AAPL\","
                + "\"partition\":3,\"offset\":\"42\",\"timestamp\":\"1764130000000\",\"data\":{\"bid\":189.12},"
                + "\"someFutureField\":1}}");
        assertEquals(42, json.getMessage().getOffset());
        assertEquals(3, json.getMessage().getPartition());
        ServerFrame reply = WireFormat.decode(new byte[] {0x0a, 0x04, 0x08, 0x04, 0x12, 0x00});
        assertEquals(4, reply.getReply().getId());
        assertTrue(reply.getReply().hasOk());
        assertEquals("{\"id\":\"1\",\"subscribe\":{\"channel\":\"quotes\"}}",
                WireFormat.JSON.encodeText(ClientFrames.subscribe(1, "quotes", false, List.of())));
    }

    @Test
    void theReadmeTableListsEveryKnobWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        for (Knob knob : Knob.values()) {
            String row = "| `" + knob.key() + "` | " + (knob.defaultValue().isEmpty() ? "" : "`" + knob.defaultValue() + "`");
            assertTrue(readme.contains(row), "loadtest/README.md has the row " + row);
        }
    }
}
