package dev.hitslb.stack;

import dev.hitslb.lb.NginxConfig;
import dev.hitslb.lb.NginxVersion;
import dev.hitslb.lb.RenderTarget;
import dev.hitslb.servers.Binaries;
import dev.hitslb.servers.LocalProcess;
import dev.hitslb.servers.Logs;
import dev.hitslb.servers.NginxServer;
import dev.hitslb.servers.PidFile;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.PostgresServer;
import dev.hitslb.servers.RedisServer;
import dev.hitslb.servers.Signals;
import dev.hitslb.servers.Wait;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The whole topology on this machine: PostgreSQL, Redis, the service's replicas and nginx, each a real
 * process with its folder, log and pid file under {@link StackLayout#home()}. ./stack and the
 * load-balancing suites both start it through this class. Every process is found again from its pid
 * file, so a later JVM (the next ./stack command) controls what an earlier one started.
 */
public final class LocalStack {
    /**
     * How a replica's JVM runs here, measured with bench/run (docs/performance.md#memory): the container image runs G1 with
     * 160 MiB and no AOT cache (JAVA_OPTS in the Dockerfile); with the AOT cache (aotOptions), that measured 302-305 MiB
     * resident per replica under load, and this 220-233 MiB at the same throughput.
     * - 128 MiB of heap: what stays live after a full GC under the 500-client burst is about 15 MiB.
     * - The Serial collector, the JVM's own choice for one core (coresPerReplica): G1's own structures took
     *   38 MiB of native memory beside a 160 MiB heap.
     * - Trimming the C heap every 5 s: the JIT compiles in arenas that peaked at 35 MiB, which glibc keeps once
     *   they are freed; the trim gives them back (it has no effect where the C library is not glibc).
     */
    static final List<String> REPLICA_JVM_OPTIONS =
            List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:TrimNativeHeapInterval=5000");
    /**
     * A replica's log is at most this, and the one before it (NAME.log.1) as much: a client can make a replica log
     * (a hostile one once made 89 MB in 10 s), and ./stack runs for days on a laptop.
     */
    static final long REPLICA_LOG_LIMIT = 10L * 1024 * 1024;

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /** What status reports for a process. */
    public enum State {
        /** Down, but processes it started still run (e.g. nginx workers after kill -9 of the master). */
        RUNNING,
        PAUSED,
        ORPHANED,
        DOWN;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final StackLayout layout;
    private final boolean throwaway;
    private final PrintStream out;
    private final Map<String, String> replicaEnvironment;
    private final boolean aotCache;

    /**
     * @param throwaway whether the processes die with this JVM (tests, without an {@link #aotOptions AOT cache});
     *                  ./stack's outlive it
     * @param out       where progress goes
     */
    public LocalStack(StackLayout layout, boolean throwaway, PrintStream out) {
        this(layout, throwaway, out, Map.of(), !throwaway);
    }

    /**
     * @param replicaEnvironment variables every replica gets besides the stack's own (the bench's soak shortens a retention)
     * @param aotCache           whether the replicas record and use the JDK's ahead-of-time cache ({@link #aotOptions})
     */
    public LocalStack(
            StackLayout layout,
            boolean throwaway,
            PrintStream out,
            Map<String, String> replicaEnvironment,
            boolean aotCache) {
        this.layout = layout;
        this.throwaway = throwaway;
        this.out = out;
        this.replicaEnvironment = Map.copyOf(replicaEnvironment);
        this.aotCache = aotCache;
    }

    public StackLayout layout() {
        return layout;
    }

    /**
     * Starts every process and returns once a request through nginx succeeds. Checks first what would
     * make it fail half way: a missing binary (naming the install command), a port in use, a config
     * nginx would refuse. When a process fails to start, the ones started here are stopped again.
     */
    public void up() {
        List<String> running = running();
        if (!running.isEmpty()) {
            throw new IllegalStateException("the stack is already running (" + String.join(", ", running)
                    + "): see ./stack status, or ./stack down first");
        }
        for (String binary : List.of("postgres", "initdb", "pg_isready", "psql", "redis-server", "nginx")) {
            Binaries.require(binary);
        }
        for (String name : layout.names()) {
            endLeftovers(name);
        }
        for (String name : layout.names()) {
            if (!Ports.isFree(layout.port(name))) {
                throw new IllegalStateException("port " + layout.port(name) + " (for " + name
                        + ") is in use on 127.0.0.1: " + "stop what uses it, or pick other ports with --port");
            }
        }
        NginxVersion nginx = NginxVersion.parse(NginxServer.version());
        String upstream = NginxConfig.upstream(layout.algorithm(), RenderTarget.LOCAL, layout.topology(), nginx);
        writeNginxConfig(NginxConfig.main(RenderTarget.LOCAL, layout.topology(), layout.nginxPort()), upstream);
        layout.save();
        copyJar();
        out.println("Starting " + layout.title() + ": " + layout.algorithm() + " over "
                + layout.topology().replicas().size()
                + " replicas"
                + layout.topology()
                        .backup()
                        .map(b -> " and the standby " + b.name())
                        .orElse("")
                + ", nginx " + nginx + ", state in " + layout.home());
        out.println(Binaries.nginx().describe());

        List<String> started = new ArrayList<>();
        try {
            for (String name : List.of("postgres", "redis")) {
                start(name);
                started.add(name);
            }
            List<String> replicas = layout.replicaNames();
            started.addAll(replicas);
            startReplicas(replicas);
            start("nginx");
            started.add("nginx");
            awaitThroughNginx();
        } catch (RuntimeException e) {
            out.println("start-up failed; stopping what was started");
            started.reversed().forEach(this::stopQuietly);
            throw e;
        }
    }

    /** Starts one process (again), waits until it is ready, and says how long that took. */
    public Duration start(String name) {
        layout.port(name); // rejects an unknown name
        endLeftovers(name);
        if (state(name) != State.DOWN) {
            throw new IllegalStateException(
                    name + " is already " + state(name) + " (pid " + pid(name).orElseThrow() + ")");
        }
        long t0 = System.nanoTime();
        progress(name, "starting on 127.0.0.1:" + layout.port(name));
        switch (name) {
            case "postgres" ->
                PostgresServer.start(
                        layout.dir(name),
                        layout.postgresPort(),
                        layout.service().database(),
                        throwaway);
            case "redis" -> RedisServer.start(layout.dir(name), layout.redisPort(), throwaway);
            case "nginx" -> NginxServer.start(layout.dir(name), layout.nginxPort(), throwaway);
            default -> awaitReplicaReady(name, launchReplica(name));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        progress(name, "ready in " + took.toMillis() + " ms, pid " + pid(name).orElse(-1L));
        return took;
    }

    /** Graceful stop: SIGTERM (PostgreSQL: SIGINT, nginx: SIGQUIT), then SIGKILL if it is still there after the grace time. */
    public void stop(String name) {
        if (state(name) == State.ORPHANED) {
            endLeftovers(name);
            return;
        }
        ProcessHandle process = requireRunning(name);
        String signal = switch (name) {
            // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client (each replica's pool) to leave.
            case "postgres" -> "INT";
            // SIGTERM is nginx's fast shutdown; SIGQUIT lets workers finish their requests.
            case "nginx" -> "QUIT";
            default -> "TERM";
        };
        Signals.sendToTree(process, "CONT"); // a paused process must run to act on the signal
        Signals.send(process.pid(), signal);
        if (!awaitExit(process, Duration.ofSeconds(30))) {
            progress(name, "still running 30 s after SIG" + signal + ": SIGKILL");
            kill(name);
        }
        endLeftovers(name);
    }

    /** SIGKILL: a crash. PostgreSQL and nginx lose their child processes with it. */
    public void kill(String name) {
        if (state(name) == State.ORPHANED) {
            endLeftovers(name);
            return;
        }
        ProcessHandle process = requireRunning(name);
        Signals.sendToTree(process, "KILL");
        awaitExit(process, Duration.ofSeconds(10));
        endLeftovers(name);
        // PostgreSQL's backends and nginx's workers exit once they notice; then the port is free again.
        Ports.awaitClosed(layout.port(name), Duration.ofSeconds(10));
    }

    /** SIGSTOP on the process and its children: a hang. It keeps its connections and answers nothing. */
    public void pause(String name) {
        Signals.sendToTree(requireRunning(name), "STOP");
    }

    /** SIGCONT: back from a pause. */
    public void resume(String name) {
        Signals.sendToTree(requireRunning(name), "CONT");
    }

    /** Stops every process of the stack that is running, nginx first, PostgreSQL last. */
    public void down() {
        for (String name : layout.names().reversed()) {
            if (state(name) != State.DOWN) {
                long t0 = System.nanoTime();
                stop(name);
                progress(name, "stopped in " + millis(t0) + " ms");
            }
        }
    }

    /** The processes of this stack that are running or paused (not what a crashed one left behind: up ends that). */
    public List<String> running() {
        return layout.names().stream()
                .filter(n -> state(n) == State.RUNNING || state(n) == State.PAUSED)
                .toList();
    }

    public State state(String name) {
        return process(name)
                .map(p -> PidFile.isStopped(p.pid()) ? State.PAUSED : State.RUNNING)
                .orElseGet(() -> leftovers(name).isEmpty() ? State.DOWN : State.ORPHANED);
    }

    /** The process's pid; for an orphaned one, the pid of a process it left behind. */
    public Optional<Long> pid(String name) {
        return process(name).or(() -> leftovers(name).stream().findFirst()).map(ProcessHandle::pid);
    }

    /** One line per process: {@code NAME STATE pid=PID port=PORT} ({@code pid=-} when down). */
    public List<String> status() {
        return layout.names().stream()
                .map(name -> name + " " + state(name) + " pid="
                        + pid(name).map(String::valueOf).orElse("-") + " port=" + layout.port(name))
                .toList();
    }

    /** The log of one process. */
    public Path log(String name) {
        layout.port(name);
        return switch (name) {
            case "nginx" -> layout.dir(name).resolve("logs/error.log");
            default -> layout.dir(name).resolve(name + ".log");
        };
    }

    /** The service's total (the spec's total-query): what the 2xx answers a client counted are checked against. */
    public long total() {
        String total = psql(layout.service().totalQuery());
        try {
            return Long.parseLong(total);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("the total-query of " + layout.jar().getFileName() + " answered '" + total
                    + "', not one number: " + layout.service().totalQuery());
        }
    }

    /** One SQL statement in the service's database, through psql; its output, trimmed. */
    public String psql(String sql) {
        String database = layout.service().database();
        return PostgresServer.psql(layout.postgresPort(), database, database, sql, Duration.ofSeconds(10));
    }

    /** nginx's access log: one line per request with the replicas tried. */
    public Path accessLog() {
        return layout.dir("nginx").resolve("logs/access.log");
    }

    /**
     * Serves {@code upstream} from now on: writes it, checks it with nginx -t (a refused config throws
     * and the running one stays), and reloads nginx (SIGHUP: new workers take it, old ones finish).
     */
    public void reloadNginx(String upstream) {
        writeNginxConfig(NginxConfig.main(RenderTarget.LOCAL, layout.topology(), layout.nginxPort()), upstream);
        NginxServer.check(layout.dir("nginx"));
        Signals.send(requireRunning("nginx").pid(), "HUP");
    }

    private void startReplicas(List<String> replicas) {
        long t0 = System.nanoTime();
        Map<String, LocalProcess> launched = new java.util.LinkedHashMap<>();
        for (String name : replicas) {
            progress(name, "starting on 127.0.0.1:" + layout.port(name));
            launched.put(name, launchReplica(name));
        }
        // They start side by side; each is ready once its ready path answers 200.
        List<CompletableFuture<Void>> ready = replicas.stream()
                .map(name -> CompletableFuture.runAsync(() -> {
                    awaitReplicaReady(name, launched.get(name));
                    progress(
                            name,
                            "ready in " + millis(t0) + " ms, pid "
                                    + launched.get(name).pid());
                }))
                .toList();
        try {
            CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private LocalProcess launchReplica(String name) {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(REPLICA_JVM_OPTIONS);
        command.add("-XX:ActiveProcessorCount=" + coresPerReplica());
        command.addAll(aotOptions(name));
        command.addAll(List.of("-jar", runningJar().toString()));
        // The replica also inherits this environment, so e.g. DB_POOL_SIZE=8 ./stack up reaches every replica.
        Map<String, String> env = new java.util.HashMap<>(replicaEnvironment);
        env.putAll(Map.of(
                "HTTP_PORT", Integer.toString(layout.port(name)),
                "BIND_ADDRESS", "127.0.0.1", // reachable through nginx, not around it
                "INSTANCE_ID", name,
                "DB_URL", layout.jdbcUrl(),
                "DB_USER", layout.service().database(), // PostgresServer's local-development owner and password
                "DB_PASSWORD", layout.service().database(),
                "REDIS_URL", layout.redisUrl()));
        return LocalProcess.start(name, command, env, log(name), REPLICA_LOG_LIMIT, throwaway);
    }

    /**
     * The JDK's ahead-of-time cache, one for all replicas (docs/performance.md#the-jdks-ahead-of-time-cache): the classes a replica loads and
     * links and, from JDK 25, the method profiles of its run, so that a new replica is ready sooner and compiles
     * its hot code at once instead of after profiling it again. While the cache is missing or older than the jar,
     * the first replica records it, and the JVM writes it when that replica stops (a few seconds, once); the
     * others use it once it is there. JDK 25+: -XX:AOTCache; JDK 21-24: a CDS archive, classes only.
     */
    private List<String> aotOptions(String name) {
        if (!aotCache) {
            return List.of();
        }
        boolean profiles = Runtime.version().feature() >= 25;
        Path cache = layout.home()
                .resolve(runningJar().getFileName() + "."
                        + Runtime.version().version().stream()
                                .map(String::valueOf)
                                .collect(java.util.stream.Collectors.joining("."))
                        + (profiles ? ".aot" : ".jsa"));
        boolean recorder = name.equals(layout.replicaNames().getFirst());
        if (isNewer(cache, runningJar())) {
            return List.of(profiles ? "-XX:AOTCache=" + cache : "-XX:SharedArchiveFile=" + cache);
        }
        if (!recorder) {
            return List.of();
        }
        return profiles
                ? List.of("-XX:AOTCacheOutput=" + cache)
                : List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + cache);
    }

    private static boolean isNewer(Path file, Path than) {
        try {
            return Files.exists(file) && Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(than)) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The replicas share this machine's cores, so each JVM sizes itself (virtual-thread carriers, GC
     * and JIT threads) for its share, as it would for a container's CPU limit; sized for every core,
     * they wake threads that then wait for a core (docs/performance.md#what-was-measured-and-changed).
     */
    private int coresPerReplica() {
        return Math.max(
                1,
                Runtime.getRuntime().availableProcessors()
                        / layout.topology().replicas().size());
    }

    /**
     * The replicas run a copy of the jar taken at {@code up}: rebuilding the project while they run
     * would otherwise replace classes under them (Jetty then fails to load a class mid-shutdown).
     */
    private Path runningJar() {
        return layout.home().resolve(layout.jar().getFileName());
    }

    private void copyJar() {
        try {
            // With its time: an unchanged jar keeps the AOT cache recorded for it (aotOptions).
            Files.copy(
                    layout.jar(),
                    runningJar(),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException("could not copy " + layout.jar() + " to " + runningJar(), e);
        }
    }

    /**
     * Waits for the spec's ready path, watching the process we hold. (Not {@link #state}: right after start
     * the new process may not have reached its own working directory yet, which the pid-file check
     * reads, and it would look down for a moment.)
     */
    private void awaitReplicaReady(String name, LocalProcess process) {
        URI ready = URI.create(
                "http://127.0.0.1:" + layout.port(name) + layout.service().readyPath());
        Wait.until(name + " to be ready (log: " + log(name) + ")", READY_TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        name + " exited at start; the end of " + log(name) + ":\n" + Logs.tail(log(name), 15));
            }
            return status(ready) == 200;
        });
    }

    private void awaitThroughNginx() {
        URI probe = URI.create(
                "http://127.0.0.1:" + layout.nginxPort() + layout.service().probePath());
        Wait.until(
                "an answer through nginx at " + probe + " (log: " + log("nginx") + ")",
                Duration.ofSeconds(15),
                () -> status(probe) == 200);
    }

    private static int status(URI uri) {
        try {
            HttpRequest request =
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void writeNginxConfig(String main, String upstream) {
        Path prefix = layout.dir("nginx");
        try {
            NginxConfig.write(prefix, main, upstream);
            Files.createDirectories(prefix.resolve("live"));
            Files.writeString(prefix.resolve("live/index.html"), NginxConfig.livePage());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write nginx's config in " + prefix, e);
        }
    }

    private Optional<ProcessHandle> process(String name) {
        return PidFile.process(layout.dir(name).resolve(name + ".pid"));
    }

    private List<ProcessHandle> leftovers(String name) {
        return PidFile.leftovers(layout.dir(name).resolve(name + ".pid"));
    }

    /**
     * SIGKILL to what {@code name} left behind once it is gone itself: this launcher owns the whole
     * tree of each process it started, so a crash leaves nothing holding a port or answering.
     */
    private void endLeftovers(String name) {
        if (process(name).isPresent()) {
            return;
        }
        List<ProcessHandle> left = leftovers(name);
        if (left.isEmpty()) {
            return;
        }
        progress(
                name,
                "ending " + left.size() + " process(es) it left behind: pids "
                        + String.join(
                                ", ",
                                left.stream().map(p -> Long.toString(p.pid())).toList()));
        left.forEach(p -> Signals.send(p.pid(), "KILL"));
        left.forEach(p -> awaitExit(p, Duration.ofSeconds(5)));
        Ports.awaitClosed(layout.port(name), Duration.ofSeconds(10));
    }

    private ProcessHandle requireRunning(String name) {
        layout.port(name);
        return process(name)
                .orElseThrow(() -> new IllegalStateException(name + " is not running (./stack start " + name + ")"));
    }

    private void stopQuietly(String name) {
        try {
            if (state(name) != State.DOWN) {
                stop(name);
            }
        } catch (RuntimeException e) {
            out.println(name + ": could not stop: " + e.getMessage());
        }
    }

    private static boolean awaitExit(ProcessHandle process, Duration timeout) {
        try {
            Wait.until("pid " + process.pid() + " to exit", timeout, () -> PidFile.hasExited(process));
            return true;
        } catch (IllegalStateException timedOut) {
            return false;
        }
    }

    private void progress(String name, String message) {
        synchronized (out) {
            out.printf("  %-" + layout.nameWidth() + "s %s%n", name, message);
            out.flush();
        }
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
