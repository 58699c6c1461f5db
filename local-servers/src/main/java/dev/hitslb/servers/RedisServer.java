package dev.hitslb.servers;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A real, memory-only Redis server from the local binary on 127.0.0.1. */
public final class RedisServer extends LocalServer {
    private final Path home;
    private final int port;
    private final boolean throwaway;
    private final List<String> options;
    private final Optional<AlsoListen> alsoListen;

    private RedisServer(Path home, int port, boolean throwaway, List<String> options, Optional<AlsoListen> alsoListen) {
        this.home = home.toAbsolutePath();
        this.port = port;
        this.throwaway = throwaway;
        this.options = List.copyOf(options);
        this.alsoListen = alsoListen;
    }

    /** Starts redis-server on {@code port} and waits until it answers PING. */
    public static RedisServer start(Path home, int port, boolean throwaway) {
        return start(home, port, throwaway, List.of(), Optional.empty());
    }

    /**
     * As {@link #start(Path, int, boolean)}, with more redis-server options, e.g. ACL users
     * ({@code --user app on >secret ~* +@all}); the default user must still be allowed to PING.
     */
    public static RedisServer start(Path home, int port, boolean throwaway, List<String> options) {
        return start(home, port, throwaway, options, Optional.empty());
    }

    /**
     * As {@link #start(Path, int, boolean)}, also listening on {@code also}'s address; protected mode,
     * which answers only loopback clients while there is no password, is then off.
     */
    public static RedisServer start(Path home, int port, boolean throwaway, Optional<AlsoListen> also) {
        return start(home, port, throwaway, List.of(), also);
    }

    private static RedisServer start(
            Path home, int port, boolean throwaway, List<String> options, Optional<AlsoListen> also) {
        RedisServer server = new RedisServer(home, port, throwaway, options, also);
        server.start();
        return server;
    }

    public int port() {
        return port;
    }

    public RedisEndpoint endpoint() {
        return new RedisEndpoint("127.0.0.1", port);
    }

    public Path log() {
        return home.resolve("redis.log");
    }

    @Override
    public void start() {
        if (isRunning()) {
            return;
        }
        // A cache: nothing is saved to disk, so a restarted Redis starts empty, as after a crash.
        List<String> command = new ArrayList<>(List.of(
                Binaries.require("redis-server").toString(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                home.toString()));
        command.addAll(options);
        alsoListen.ifPresent(a -> {
            command.add(command.indexOf("127.0.0.1") + 1, a.address());
            command.addAll(List.of("--protected-mode", "no"));
        });
        process = LocalProcess.start("redis", command, Map.of(), log(), throwaway);
        Wait.until("Redis on port " + port + " (log: " + log() + ")", Duration.ofSeconds(15), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("Redis exited at start:\n" + process.logTail(20));
            }
            return answersPing(port);
        });
    }

    /** Whether a Redis server on 127.0.0.1:{@code port} answers PING with PONG. */
    public static boolean answersPing(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(500);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] reply = in.readNBytes(7);
            return new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(10));
        }
    }
}
