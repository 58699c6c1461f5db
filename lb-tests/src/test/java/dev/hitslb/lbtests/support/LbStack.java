package dev.hitslb.lbtests.support;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lb.NginxConfig;
import dev.hitslb.lb.NginxVersion;
import dev.hitslb.lb.RenderTarget;
import dev.hitslb.lb.Topology;
import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.PidFile;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.ThrowawayDirs;
import dev.hitslb.servers.Wait;
import dev.hitslb.stack.LocalStack;
import dev.hitslb.stack.ServiceSpec;
import dev.hitslb.stack.StackLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One real stack for the load-balancing suites, started once per test JVM through the same
 * {@link LocalStack} as ./stack (throwaway: it dies with the JVM). Suites switch algorithm by rendering a
 * new upstream block and reloading nginx; the replicas stay.
 */
public final class LbStack {
    private static LocalStack stack;

    private LbStack() {}

    public static synchronized LocalStack get() {
        if (stack == null) {
            Path jar = Path.of(System.getProperty("hits.jar", "../hits-service/target/hits-service.jar"));
            StackLayout layout = new StackLayout(
                    ThrowawayDirs.create("lb-stack"),
                    ServiceSpec.of(jar),
                    Algorithm.ROUND_ROBIN,
                    Ports.free(),
                    List.of(Ports.free(), Ports.free(), Ports.free()),
                    Ports.free(),
                    Ports.free(),
                    Ports.free(),
                    jar);
            stack = new LocalStack(layout, true, System.out);
            stack.up();
        }
        return stack;
    }

    public static String baseUrl() {
        return "http://127.0.0.1:" + get().layout().nginxPort();
    }

    /** Serves {@code algorithm} over {@code topology} from the next connection on. */
    public static void use(Algorithm algorithm, Topology topology) {
        LocalStack s = get();
        String upstream = NginxConfig.upstream(
                algorithm, RenderTarget.LOCAL, topology, NginxVersion.parse(NginxServer.version()));
        ProcessHandle master =
                PidFile.process(s.layout().dir("nginx").resolve("nginx.pid")).orElseThrow();
        Set<Long> oldWorkers = master.children().map(ProcessHandle::pid).collect(Collectors.toSet());
        s.reloadNginx(upstream);
        // Old workers finish their requests and exit; until then a new connection might still reach one.
        Wait.until(
                "nginx's old workers to exit after the reload",
                Duration.ofSeconds(10),
                () -> master.children().noneMatch(c -> oldWorkers.contains(c.pid()) && !PidFile.hasExited(c)));
    }

    public static void use(Algorithm algorithm) {
        use(algorithm, get().layout().topology(algorithm));
    }

    /** Brings every process that a test stopped, killed or paused back, and waits out nginx's fail_timeout. */
    public static void restoreAll() {
        LocalStack s = get();
        boolean changed = false;
        for (String name : s.layout().names()) {
            switch (s.state(name)) {
                case PAUSED -> {
                    s.resume(name);
                    changed = true;
                }
                case DOWN -> {
                    s.start(name);
                    changed = true;
                }
                case RUNNING -> {}
            }
        }
        if (changed) {
            // fail_timeout: nginx tries a failed replica again after 5 s, counted on its clock of whole
            // seconds (now - checked <= 5 still counts as failed), so up to 6 s after the failure. A
            // CI run that waited 5.5 s found every replica still out: "no replica is available".
            sleep(Duration.ofMillis(6_500));
        }
    }

    /** The total in PostgreSQL: the truth the client's count of 2xx answers is checked against. */
    public static long dbTotal() {
        return get().total();
    }

    public static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
