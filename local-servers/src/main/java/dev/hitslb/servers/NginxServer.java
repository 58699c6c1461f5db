package dev.hitslb.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real nginx run from the local binary with every path inside one prefix folder:
 * {@code nginx -p PREFIX -c PREFIX/nginx.conf -g 'daemon off;'}. The caller writes the config
 * (lb-config renders it); this class checks it with {@code nginx -t}, starts and stops it.
 */
public final class NginxServer extends LocalServer {
    public static final String CONFIG = "nginx.conf";

    private final Path prefix;
    private final int port;
    private final boolean throwaway;

    private NginxServer(Path prefix, int port, boolean throwaway) {
        this.prefix = prefix.toAbsolutePath();
        this.port = port;
        this.throwaway = throwaway;
    }

    /**
     * Checks {@code prefix/nginx.conf} with {@code nginx -t}, starts nginx and waits until it accepts
     * connections on {@code port} (the port the config listens on).
     */
    public static NginxServer start(Path prefix, int port, boolean throwaway) {
        NginxServer server = new NginxServer(prefix, port, throwaway);
        server.start();
        return server;
    }

    /**
     * Runs {@code nginx -t} on {@code prefix/nginx.conf} and returns its output.
     *
     * @throws InvalidConfigException with nginx's own message when the config is refused
     */
    public static String check(Path prefix) {
        Path dir = prepare(prefix.toAbsolutePath());
        try {
            return Commands.run(
                    List.of(
                            Binaries.require("nginx").toString(),
                            "-t",
                            "-q",
                            "-p",
                            dir + "/",
                            "-c",
                            dir.resolve(CONFIG).toString()),
                    Map.of());
        } catch (Binaries.MissingBinaryException e) {
            throw e;
        } catch (IllegalStateException e) {
            throw new InvalidConfigException(e.getMessage());
        }
    }

    /** The version of the local nginx binary, as {@code nginx -v} prints it ("nginx version: nginx/1.22.1"). */
    public static String version() {
        return Commands.run(List.of(Binaries.require("nginx").toString(), "-v"), Map.of())
                .strip();
    }

    public int port() {
        return port;
    }

    public Path prefix() {
        return prefix;
    }

    public Path log() {
        return prefix.resolve("nginx.log");
    }

    @Override
    public void start() {
        if (isRunning()) {
            return;
        }
        check(prefix);
        process = LocalProcess.start(
                "nginx",
                List.of(
                        Binaries.require("nginx").toString(),
                        "-p",
                        prefix + "/",
                        "-c",
                        prefix.resolve(CONFIG).toString(),
                        "-g",
                        "daemon off;"),
                Map.of(),
                log(),
                throwaway);
        Wait.until(
                "nginx on port " + port + " (log: " + prefix.resolve("logs/error.log") + ")",
                Duration.ofSeconds(15),
                () -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("nginx exited at start:\n" + process.logTail(20)
                                + Logs.tail(prefix.resolve("logs/error.log"), 20));
                    }
                    return Ports.accepts(port);
                });
    }

    /** Graceful: SIGQUIT lets workers finish their requests; SIGKILL after 10 s. */
    @Override
    public void stop() {
        if (process != null) {
            process.stop("QUIT", Duration.ofSeconds(10));
        }
    }

    /**
     * Creates logs/ and tmp/ (nginx does not create the folder of its error log) and, when we are root,
     * lets the workers (user nobody) reach the prefix.
     */
    private static Path prepare(Path prefix) {
        try {
            Files.createDirectories(prefix.resolve("logs"));
            Files.createDirectories(prefix.resolve("tmp"));
            if (Commands.isRoot()) {
                Commands.letOthersReach(prefix);
            }
            return prefix;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare nginx's folder " + prefix, e);
        }
    }

    /** nginx refused a config; the message is nginx's own. */
    public static final class InvalidConfigException extends IllegalStateException {
        InvalidConfigException(String message) {
            super(message);
        }
    }
}
