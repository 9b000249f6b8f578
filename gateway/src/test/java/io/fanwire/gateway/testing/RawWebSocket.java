package io.fanwire.gateway.testing;

import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.ServerFrame;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A WebSocket client written at the byte level over a plain socket, for the cases a well-behaved client
 * library will not produce: a client that stops reading, odd frames. Blocking; one thread.
 */
public final class RawWebSocket implements AutoCloseable {

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private int closeStatus = -1;
    /** The upgrade response's {@code Sec-WebSocket-Extensions}, or null. */
    private String extensions;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        // Buffered: frames are read a few bytes at a time; a client that stops calling read stops reading all the same.
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    }

    /**
     * Connects and upgrades with {@code subprotocol}; {@code receiveBufferBytes} &gt; 0 shrinks the socket's
     * receive buffer, so that a client that stops reading pushes back on the server quickly.
     */
    public static RawWebSocket connect(int port, String subprotocol, int receiveBufferBytes) throws IOException {
        return connect(null, port, subprotocol, receiveBufferBytes);
    }

    /** {@link #connect(int, String, int)} from local address {@code source} (null: any), e.g. 127.0.0.2. */
    public static RawWebSocket connect(InetAddress source, int port, String subprotocol, int receiveBufferBytes)
            throws IOException {
        return connect(source, port, subprotocol, receiveBufferBytes, null);
    }

    /** {@link #connect(InetAddress, int, String, int)} with {@code Authorization: Bearer token} (null: none). */
    public static RawWebSocket connect(InetAddress source, int port, String subprotocol, int receiveBufferBytes,
                                       String token) throws IOException {
        Socket socket = new Socket();
        if (source != null) {
            socket.bind(new InetSocketAddress(source, 0));
        }
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        socket.setSoTimeout((int) WsTestClient.WAIT.toMillis());
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) WsTestClient.WAIT.toMillis());
        RawWebSocket ws = new RawWebSocket(socket);
        ws.out.write(upgradeRequest(subprotocol, token));
        ws.out.flush();
        ws.expectSwitchingProtocols();
        return ws;
    }

    /**
     * Connects and upgrades with {@code subprotocol}, offering {@code extensions} as the
     * {@code Sec-WebSocket-Extensions} request header (e.g. {@code permessage-deflate}); what the server accepted
     * is {@link #extensions()}.
     */
    public static RawWebSocket connectOffering(int port, String subprotocol, String extensions) throws IOException {
        Socket socket = new Socket();
        socket.setSoTimeout((int) WsTestClient.WAIT.toMillis());
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) WsTestClient.WAIT.toMillis());
        RawWebSocket ws = new RawWebSocket(socket);
        String request = new String(upgradeRequest(subprotocol, null), StandardCharsets.US_ASCII);
        request = request.substring(0, request.length() - 2)
                + "Sec-WebSocket-Extensions: " + extensions + "\r\n\r\n";
        ws.out.write(request.getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        ws.expectSwitchingProtocols();
        return ws;
    }

    /** The {@code Sec-WebSocket-Extensions} header of the server's {@code 101}, or null when it had none. */
    public String extensions() {
        return extensions;
    }

    /**
     * Connects and writes the upgrade request and {@code text} as a masked text frame in ONE write, before the
     * server's {@code 101}: what some clients and proxies do, though RFC 6455 says to wait. Returns once the
     * {@code 101} has been read.
     */
    public static RawWebSocket connectSendingText(int port, String subprotocol, String text) throws IOException {
        Socket socket = new Socket();
        socket.setSoTimeout((int) WsTestClient.WAIT.toMillis());
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) WsTestClient.WAIT.toMillis());
        RawWebSocket ws = new RawWebSocket(socket);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.writeBytes(upgradeRequest(subprotocol, null));
        both.writeBytes(frame(true, 0x1, text.getBytes(StandardCharsets.UTF_8), true));
        ws.out.write(both.toByteArray());
        ws.out.flush();
        ws.expectSwitchingProtocols();
        return ws;
    }

    /**
     * Connects as a load balancer that speaks the PROXY protocol would: writes {@code proxyHeader} and the upgrade
     * request with {@code subprotocol} in one write. Returns once the {@code 101} has been read.
     */
    public static RawWebSocket connectBehindProxy(byte[] proxyHeader, int port, String subprotocol)
            throws IOException {
        Socket socket = new Socket();
        socket.setSoTimeout((int) WsTestClient.WAIT.toMillis());
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) WsTestClient.WAIT.toMillis());
        RawWebSocket ws = new RawWebSocket(socket);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.writeBytes(proxyHeader);
        both.writeBytes(upgradeRequest(subprotocol, null));
        try {
            ws.out.write(both.toByteArray());
            ws.out.flush();
            ws.expectSwitchingProtocols();
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return ws;
    }

    private static byte[] upgradeRequest(String subprotocol, String token) {
        return ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: " + subprotocol + "\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private void expectSwitchingProtocols() throws IOException {
        String head = readHttpHead();
        if (!head.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("upgrade refused: " + head);
        }
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Sec-WebSocket-Extensions:", 0, 25)) {
                extensions = line.substring(25).trim();
            }
        }
    }

    private String readHttpHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** Sends one masked, final text frame. */
    public void sendText(String text) throws IOException {
        sendFrame(0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A server frame: its opcode, its payload as it came (compressed when {@code compressed}, RSV1 set: RFC 7692),
     * and whether it was compressed.
     */
    public record Frame(int opcode, byte[] payload, boolean compressed) {

        /** This frame with its payload inflated, if it was compressed (RFC 7692 §7.2.2); else itself. */
        public Frame inflated() throws IOException {
            if (!compressed) {
                return this;
            }
            Inflater inflater = new Inflater(true);
            try {
                byte[] input = Arrays.copyOf(payload, payload.length + 4);
                input[payload.length + 2] = (byte) 0xFF;
                input[payload.length + 3] = (byte) 0xFF;
                inflater.setInput(input);
                ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length * 4);
                byte[] chunk = new byte[8192];
                for (int n; (n = inflater.inflate(chunk)) > 0 || !inflater.needsInput(); ) {
                    if (n == 0 && (inflater.finished() || inflater.needsDictionary())) {
                        throw new IOException("not a permessage-deflate payload");
                    }
                    out.write(chunk, 0, n);
                }
                return new Frame(opcode, out.toByteArray(), false);
            } catch (DataFormatException e) {
                throw new IOException("a compressed frame that does not inflate", e);
            } finally {
                inflater.end();
            }
        }

        /** The close status of a Close frame. */
        public int closeStatus() {
            return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        /** A text frame parsed as {@code fanwire.v1.json}, a binary one as protobuf; null for other opcodes. */
        public ServerFrame serverFrame() throws IOException {
            if (compressed) {
                return inflated().serverFrame();
            }
            if (opcode == 0x1) {
                ServerFrame.Builder builder = ServerFrame.newBuilder();
                JsonFormat.parser().merge(new String(payload, StandardCharsets.UTF_8), builder);
                return builder.build();
            }
            return opcode == 0x2 ? ServerFrame.parseFrom(payload) : null;
        }
    }

    /** Reads the next server frame (server frames are unmasked); null when the connection ended. */
    public Frame readFrame() throws IOException {
        int b0 = in.read();
        int b1 = in.read();
        if (b0 < 0 || b1 < 0) {
            return null;
        }
        long length = b1 & 0x7F;
        if (length == 126) {
            length = (in.read() << 8) | in.read();
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | in.read();
            }
        }
        byte[] payload = in.readNBytes((int) length);
        return new Frame(b0 & 0x0F, payload, (b0 & 0x40) != 0);
    }

    /**
     * Reads the next {@code ServerFrame}: text frames as {@code fanwire.v1.json}, binary ones as protobuf;
     * WebSocket pings and pongs are skipped. Returns null at a Close frame (its status is then
     * {@link #closeStatus}) or when the connection ended.
     */
    public ServerFrame readServerFrame() throws IOException {
        for (Frame frame; (frame = readFrame()) != null; ) {
            if (frame.opcode() == 0x8) {
                closeStatus = frame.closeStatus();
                return null;
            }
            ServerFrame parsed = frame.serverFrame();
            if (parsed != null) {
                return parsed;
            }
        }
        return null;
    }

    /** The status of the Close frame {@link #readServerFrame} met, or -1. */
    public int closeStatus() {
        return closeStatus;
    }

    /** Sends one masked, final frame with {@code opcode}. */
    public void sendFrame(int opcode, byte[] payload) throws IOException {
        sendFrame(opcode, payload, true);
    }

    /** Sends one final frame with {@code opcode}, masked as RFC 6455 requires of clients or not. */
    public void sendFrame(int opcode, byte[] payload, boolean masked) throws IOException {
        writeFrame(true, opcode, payload, masked);
    }

    /**
     * Sends one masked frame of a fragmented message: the first with opcode 0x1 or 0x2 and {@code fin}
     * false, the rest with opcode 0x0 (continuation), the last with {@code fin} true.
     */
    public void sendFragment(int opcode, byte[] payload, boolean fin) throws IOException {
        writeFrame(fin, opcode, payload, true);
    }

    /**
     * Sends one masked, final frame with {@code opcode} whose payload is {@code payload} compressed as RFC 7692
     * §7.2.1 says (raw DEFLATE, sync flush, the trailing {@code 00 00 ff ff} removed), RSV1 set.
     */
    public void sendCompressed(int opcode, byte[] payload) throws IOException {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(payload);
            byte[] buffer = new byte[payload.length + 1024];
            int n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
            byte[] frame = frame(true, opcode, Arrays.copyOf(buffer, n - 4), true);
            frame[0] |= 0x40;
            sendRaw(frame);
        } finally {
            deflater.end();
        }
    }

    /** Sends {@code bytes} as they are: for frames no well-behaved client would build. */
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private void writeFrame(boolean fin, int opcode, byte[] payload, boolean masked) throws IOException {
        out.write(frame(fin, opcode, payload, masked));
        out.flush();
    }

    private static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        int maskBit = masked ? 0x80 : 0;
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length <= 125) {
            frame.write(maskBit | payload.length);
        } else if (payload.length <= 0xFFFF) {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xFF);
        } else {
            frame.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift) & 0xFF);
            }
        }
        byte[] mask = new byte[4];
        if (masked) {
            ThreadLocalRandom.current().nextBytes(mask);
            frame.writeBytes(mask);
        }
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        return frame.toByteArray();
    }

    /** Reads and discards everything until the server closes the TCP connection; returns the bytes read. */
    public long drainUntilClosed() throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                total += n;
            }
        } catch (java.net.SocketException reset) {
            // A reset is a close too.
        }
        return total;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
