package dev.hitslb.lbtests.support;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.NginxConfig;
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
 * The committed configs on the modern nginx in a container's namespace, as compose or Kubernetes runs
 * them: the main config with the algorithm's upstream block. The only change, made in a copy, is the
 * include path (compose and the ConfigMap mount the upstream file elsewhere). The config's
 * {@code pid /tmp/nginx.pid} lands in a /tmp of its own, and /etc/resolv.conf names the DNS server on
 * 127.0.0.11 (bind mounts inside the namespace's private mounts), as in a container.
 */
public final class RehearsalNginx implements AutoCloseable {
    private final LocalProcess process;
    private final Path prefix;

    private RehearsalNginx(LocalProcess process, Path prefix) {
        this.process = process;
        this.prefix = prefix;
    }

    /** Fails, naming the fetch command, unless the nginx the tests use is at least 1.29.6 (sticky). */
    public static String requireModern() {
        String version = NginxServer.version();
        if (!NginxVersion.parse(version).isAtLeast(NginxVersion.STICKY)) {
            throw new IllegalStateException("the rehearsals need nginx >= " + NginxVersion.STICKY
                    + " (sticky, resolve), found '" + version + "' at " + Binaries.require("nginx") + ": run "
                    + Binaries.MODERN_NGINX_FETCH + " (or set NGINX_BIN)");
        }
        return version;
    }

    /**
     * compose: nginx/nginx.conf with nginx/&lt;algorithm&gt;.conf (mounted at /etc/nginx/conf.d/upstream.conf),
     * listening on port 80.
     */
    public static RehearsalNginx compose(
            Path repo, Algorithm algorithm, NetnsRig rig, String container, String address, Path log) {
        return start(
                repo.resolve("nginx/nginx.conf"),
                repo.resolve("nginx/" + algorithm.id() + ".conf"),
                "include /etc/nginx/conf.d/upstream.conf;",
                80,
                rig,
                container,
                address,
                log);
    }

    /**
     * Kubernetes: the ConfigMap's k8s/base/nginx.conf with k8s/overlays/&lt;algorithm&gt;/upstream.conf (mounted
     * at /etc/nginx/hits/upstream.conf), listening on port 8080.
     */
    public static RehearsalNginx kubernetes(
            Path repo, Algorithm algorithm, NetnsRig rig, String container, String address, Path log) {
        return start(
                repo.resolve("k8s/base/nginx.conf"),
                repo.resolve("k8s/overlays/" + algorithm.id() + "/upstream.conf"),
                "include /etc/nginx/hits/upstream.conf;",
                8080,
                rig,
                container,
                address,
                log);
    }

    /**
     * Starts {@code main} with {@code upstream} in place of its one {@code include} line in {@code container}
     * and waits for {@code port}; its output (error and access log) goes to {@code log}. The copies live
     * outside /tmp (under /var/tmp), which the container's own /tmp hides.
     */
    private static RehearsalNginx start(
            Path main,
            Path upstream,
            String include,
            int port,
            NetnsRig rig,
            String container,
            String address,
            Path log) {
        Path prefix;
        try {
            prefix = Files.createTempDirectory(Path.of("/var/tmp"), "hits-lb-rehearsal-nginx-");
            Files.createDirectories(prefix.resolve("logs"));
            Files.createDirectories(prefix.resolve("private-tmp"));
            String config = Files.readString(main);
            if (config.split(java.util.regex.Pattern.quote(include), -1).length != 2) {
                throw new IllegalStateException(
                        main + " no longer has exactly one '" + include + "': update this rehearsal");
            }
            Files.copy(upstream, prefix.resolve("upstream.conf"));
            // Committed beside nginx.conf, and included from it by a relative path: beside it here too.
            Files.copy(main.resolveSibling(NginxConfig.RESPONSE_HEADERS), prefix.resolve(NginxConfig.RESPONSE_HEADERS));
            Files.writeString(
                    prefix.resolve("nginx.conf"),
                    config.replace(include, "include " + prefix.resolve("upstream.conf") + ";"));
            Files.writeString(prefix.resolve("resolv.conf"), "nameserver " + Dnsmasq.ADDRESS + "\n");
            prefix.toFile().setExecutable(true, false);
        } catch (IOException e) {
            throw new UncheckedIOException("could not copy the committed configs", e);
        }
        String nginx = Binaries.require("nginx").toString();
        List<String> command = rig.inside(
                container,
                List.of(
                        "sh",
                        "-c",
                        "mount --bind \"$0\" /tmp && mount --bind \"$1\" /etc/resolv.conf && shift && exec \"$@\"",
                        prefix.resolve("private-tmp").toString(),
                        prefix.resolve("resolv.conf").toString(),
                        nginx,
                        "-p",
                        prefix + "/",
                        "-c",
                        prefix.resolve("nginx.conf").toString(),
                        "-g",
                        "daemon off;"));
        LocalProcess process = LocalProcess.start("nginx", command, Map.of(), log, true);
        RehearsalNginx started = new RehearsalNginx(process, prefix);
        try {
            Wait.until(
                    "nginx on " + address + ":" + port + " (log: " + process.log() + ")",
                    Duration.ofSeconds(15),
                    () -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("nginx exited at start:\n" + process.logTail(30));
                        }
                        return accepts(address, port);
                    });
        } catch (RuntimeException e) {
            started.close();
            throw e;
        }
        return started;
    }

    private static boolean accepts(String address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** nginx's error log and access log (both go to its output, as to `docker compose logs nginx`). */
    public String logTail(int lines) {
        return process.logTail(lines);
    }

    public Path log() {
        return process.log();
    }

    @Override
    public void close() {
        process.stop("QUIT", Duration.ofSeconds(5));
        try (var files = Files.walk(prefix)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + prefix, e);
        }
    }
}
