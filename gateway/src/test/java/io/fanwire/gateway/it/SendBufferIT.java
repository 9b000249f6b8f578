package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.gateway.testing.GatewayProcess;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.protocol.v1.ServerFrame;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A fixed kernel send buffer ({@code ws.send.buffer.bytes}) at its floor with 60 KiB frames: a client resuming 650
 * of them (39 MB) gets every one, at full speed. Below the floor (checked by GatewayConfigTest) each TCP segment
 * waited for the client's delayed acknowledgement: with 8192 the same resume took 26.5 s instead of 3.
 */
class SendBufferIT {

    private static final int RECORDS = 650;
    private static final int RECORD_BYTES = 60 * 1024;

    @Test
    void largeFramesResumeCompletelyAtTheSmallestSendBuffer() throws Exception {
        String topic = "sndbuf-" + UUID.randomUUID();
        TestKafka.createTopic(topic, 1);
        byte[] value = new byte[RECORD_BYTES];
        Arrays.fill(value, (byte) 'x');
        for (int i = 0; i < RECORDS; i++) {
            TestKafka.produce(topic, ("k" + i).getBytes(), value);
        }
        int sendBuffer = Integer.getInteger("fanwire.it.sendBuffer", GatewayConfig.MIN_SEND_BUFFER_BYTES);
        try (GatewayProcess node = GatewayProcess.start(TestKafka.bootstrapServers(), topic,
                "--auth-anonymous", "true", "--ws-send-buffer-bytes", String.valueOf(sendBuffer))) {
            node.awaitReady();
            try (RawWebSocket client = RawWebSocket.connect(node.wsUri().getPort(), "fanwire.v1.proto", 0)) {
                client.sendFrame(2, io.fanwire.protocol.v1.ClientFrame.newBuilder()
                        .setId(1)
                        .setSubscribe(io.fanwire.protocol.v1.Subscribe.newBuilder().setChannel(topic)
                                .addResumeFrom(io.fanwire.protocol.v1.Position.newBuilder().setPartition(0).setOffset(-1)))
                        .build().toByteArray());
                int received = 0;
                long start = System.nanoTime();
                while (received < RECORDS) {
                    ServerFrame frame = client.readServerFrame();
                    if (frame.hasMessage()) {
                        assertEquals(RECORD_BYTES, frame.getMessage().getPayload().size());
                        received++;
                    }
                }
                // A stall fails the read (RawWebSocket's 20 s timeout); the time is printed, not asserted.
                System.out.println("SNDBUF sendBuffer=" + sendBuffer + " records=" + received + " ms="
                        + (System.nanoTime() - start) / 1_000_000);
            }
        }
    }
}
