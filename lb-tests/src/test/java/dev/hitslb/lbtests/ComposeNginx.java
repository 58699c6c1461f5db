package dev.hitslb.lbtests;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.NginxVersion;
import dev.hitslb.servers.Binaries;
import dev.hitslb.servers.LocalProcess;
import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The committed compose configs on the modern nginx, as compose runs them: nginx/nginx.conf with
 * nginx/&lt;algorithm&gt;.conf as its upstream block, in a container's namespace, listening on port 80.
 * The only change, made in a copy, is the include path (compose mounts the file at
 * /etc/nginx/conf.d/upstream.conf). The config's {@code pid /tmp/nginx.pid} lands in a /tmp of its own
 * (a bind mount inside the namespace's private mounts), as in a container.
 */
final class ComposeNginx implements AutoCloseable {
    static final String INCLUDE = "include /etc/nginx/conf.d/upstream.conf;";
    private final LocalProcess process;
    private final Path prefix;

    private ComposeNginx(LocalProcess process, Path prefix) {
        this.process = process;
        this.prefix = prefix;
    }

    /** Fails, naming the fetch command, unless the nginx the tests use is at least 1.29.6 (sticky). */
    static String requireModern() {
        String version = NginxServer.version();
        if (!NginxVersion.parse(version).isAtLeast(NginxVersion.STICKY)) {
            throw new IllegalStateException("the compose rehearsal needs nginx >= " + NginxVersion.STICKY + " (sticky, resolve), found '"
                    + version + "' at " + Binaries.require("nginx") + ": run " + Binaries.MODERN_NGINX_FETCH + " (or set NGINX_BIN)");
        }
        return version;
    }

    /**
     * Starts the committed configs from {@code repo}/nginx for {@code algorithm} in {@code container} and
     * waits for port 80; its output (error and access log) goes to {@code log}. The copies live outside
     * /tmp (under /var/tmp), which the container's own /tmp hides.
     */
    static ComposeNginx start(Path repo, Algorithm algorithm, NetnsRig rig, String container, String address, Path log) {
        Path prefix;
        try {
            prefix = Files.createTempDirectory(Path.of("/var/tmp"), "hits-lb-rehearsal-nginx-");
            Files.createDirectories(prefix.resolve("logs"));
            Files.createDirectories(prefix.resolve("private-tmp"));
            String main = Files.readString(repo.resolve("nginx/nginx.conf"));
            if (main.split(java.util.regex.Pattern.quote(INCLUDE), -1).length != 2) {
                throw new IllegalStateException("nginx/nginx.conf no longer has exactly one '" + INCLUDE + "': update this rehearsal");
            }
            Files.copy(repo.resolve("nginx/" + algorithm.id() + ".conf"), prefix.resolve("upstream.conf"));
            Files.writeString(prefix.resolve("nginx.conf"), main.replace(INCLUDE, "include " + prefix.resolve("upstream.conf") + ";"));
            prefix.toFile().setExecutable(true, false);
        } catch (IOException e) {
            throw new UncheckedIOException("could not copy the committed configs", e);
        }
        String nginx = Binaries.require("nginx").toString();
        List<String> command = rig.inside(container, List.of("sh", "-c", "mount --bind \"$0\" /tmp && exec \"$@\"",
                prefix.resolve("private-tmp").toString(), nginx, "-p", prefix + "/", "-c", prefix.resolve("nginx.conf").toString(),
                "-g", "daemon off;"));
        LocalProcess process = LocalProcess.start("nginx", command, Map.of(), log, true);
        ComposeNginx started = new ComposeNginx(process, prefix);
        try {
            Wait.until("nginx on " + address + ":80 (log: " + process.log() + ")", Duration.ofSeconds(15), () -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("nginx exited at start:\n" + process.logTail(30));
                }
                return accepts(address);
            });
        } catch (RuntimeException e) {
            started.close();
            throw e;
        }
        return started;
    }

    private static boolean accepts(String address) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, 80), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** nginx's error log and access log (both go to its output, as to `docker compose logs nginx`). */
    String logTail(int lines) {
        return process.logTail(lines);
    }

    Path log() {
        return process.log();
    }

    @Override
    public void close() {
        process.stop("QUIT", Duration.ofSeconds(5));
        try (var files = Files.walk(prefix)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + prefix, e);
        }
    }
}
