package dev.hitslb.lbtests;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.lbtests.support.Specs;
import dev.hitslb.servers.Ports;
import dev.hitslb.servers.Signals;
import dev.hitslb.servers.ThrowawayDirs;
import dev.hitslb.servers.Wait;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ./stack script itself, word for word as the README uses it: up, curl, status, kill, start, down,
 * up again. Its processes outlive each ./stack command, as a user's do.
 */
class StackScriptIT {
    private static final Path ROOT =
            Path.of(System.getProperty("hits.root", "..")).toAbsolutePath().normalize();
    private static final Pattern JSON = Pattern.compile("\\{\"instance\":\"(hits-\\d)\",\"hits\":(\\d+)}");
    private static Path home;
    private static int port;

    @BeforeAll
    static void up() {
        home = ThrowawayDirs.create("stack");
        port = freeRange();
        Result up = stack("up", "--port", Integer.toString(port), "--replicas", "2");
        assertThat(up.exit).as(up.output).isZero();
        assertThat(up.output)
                .contains(
                        "hits-lb is up",
                        "http://127.0.0.1:" + port + "/",
                        "./stack down",
                        "./stack kill hits-2 ",
                        "\nnginx: /");
    }

    @AfterAll
    static void down() {
        stack("down");
    }

    @Test
    void the_replicas_take_turns_and_the_total_rises_by_one_each_time() throws Exception {
        List<String> instances = new ArrayList<>();
        List<Long> totals = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Matcher m = JSON.matcher(getJson());
            assertThat(m.matches()).isTrue();
            instances.add(m.group(1));
            totals.add(Long.parseLong(m.group(2)));
        }
        for (int i = 1; i < 10; i++) {
            assertThat(instances.get(i)).as("round robin alternates").isNotEqualTo(instances.get(i - 1));
            assertThat(totals.get(i)).isEqualTo(totals.get(i - 1) + 1);
        }
    }

    @Test
    void status_kill_start_and_a_second_up_follow_the_contract() throws Exception {
        Result status = stack("status");
        assertThat(status.output.lines().toList())
                .containsExactly(
                        line("postgres", port + 20),
                        line("redis", port + 21),
                        line("hits-1", port + 1),
                        line("hits-2", port + 2),
                        line("hits-backup", port + 10),
                        line("nginx", port));

        Result again = stack("up", "--port", Integer.toString(port));
        assertThat(again.exit).isNotZero();
        assertThat(again.output).contains("already running");

        assertThat(stack("kill", "hits-2").output).contains("hits-2 down");
        for (int i = 0; i < 6; i++) {
            assertThat(getJson())
                    .as("a killed replica costs the client nothing")
                    .contains("\"instance\":\"hits-1\"");
        }
        assertThat(stack("pause", "hits-1").output).contains("hits-1 paused");
        assertThat(stack("status").output).contains("hits-1 paused pid=");
        assertThat(stack("resume", "hits-1").output).contains("hits-1 running");
        assertThat(stack("start", "hits-2").exit).isZero();
        // Back in rotation once nginx's fail_timeout (5 s) has passed.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        boolean back = false;
        while (!back && System.nanoTime() < deadline) {
            back = getJson().contains("hits-2");
            Thread.sleep(100);
        }
        assertThat(back).as("hits-2 serves again after ./stack start").isTrue();
    }

    @Test
    void down_stops_everything_and_up_continues_the_count() throws Exception {
        long before = total();
        assertThat(stack("down").exit).isZero();
        assertThat(stack("status").output.lines()).allSatisfy(l -> assertThat(l).contains(" down pid=-"));
        IntStream.of(port, port + 1, port + 2, port + 10, port + 20, port + 21)
                .forEach(p ->
                        assertThat(Ports.accepts(p)).as("port %d after down", p).isFalse());
        Result up = stack("up", "--port", Integer.toString(port), "--replicas", "2");
        assertThat(up.exit).as(up.output).isZero();
        assertThat(total()).isEqualTo(before);
    }

    @Test
    void after_kill_9_of_every_process_up_just_works() throws Exception {
        long before = total();
        // nginx's workers outlive a SIGKILL of their master: they keep the port and answer.
        Signals.send(pidOf("nginx"), "KILL");
        Wait.until(
                "nginx's master to be gone",
                Duration.ofSeconds(5),
                () -> stack("status").output.contains("nginx orphaned pid="));
        assertThat(Ports.accepts(port))
                .as("the workers still hold nginx's port")
                .isTrue();
        for (String name : List.of("postgres", "redis", "hits-1", "hits-2", "hits-backup")) {
            Signals.send(pidOf(name), "KILL");
        }

        Result up = stack("up", "--port", Integer.toString(port), "--replicas", "2");
        assertThat(up.exit).as(up.output).isZero();
        assertThat(up.output).containsPattern("nginx +ending \\d process\\(es\\) it left behind");
        assertThat(getJson()).contains("\"instance\":\"hits-");
        assertThat(total()).as("no count lost to the crash").isGreaterThanOrEqualTo(before + 1);
    }

    @Test
    void watch_shows_each_process_the_answers_a_second_and_the_total() throws Exception {
        CompletableFuture<Result> watch =
                CompletableFuture.supplyAsync(() -> stack("watch", "--frames", "1", "--interval", "2"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!watch.isDone() && System.nanoTime() < deadline) {
            getJson(); // page loads for the screen to count, for as long as it watches
        }
        Result shown = watch.get(30, TimeUnit.SECONDS);
        assertThat(shown.exit).as(shown.output).isZero();
        assertThat(shown.output).contains("answers/s", "errors/s", "total in PostgreSQL: ");
        assertThat(shown.output.lines())
                .anySatisfy(l -> assertThat(l).matches("hits-1 +running +\\d+ +[1-9][0-9.]* *"));
        assertThat(shown.output.lines())
                .anySatisfy(l -> assertThat(l).matches("nginx +running +\\d+ +[1-9][0-9.]* +0\\.0"));
    }

    @Test
    void one_command_at_a_time_changes_a_stack() throws Exception {
        // As if another ./stack up were running: it holds this lock for as long as it works.
        Process other = new ProcessBuilder("flock", home.resolve(".lock").toString(), "sleep", "30").start();
        try {
            Wait.until(
                    "the other command to hold the lock",
                    Duration.ofSeconds(5),
                    () -> other.descendants().findAny().isPresent());
            Result down = stack("down");
            assertThat(down.exit).isEqualTo(1);
            assertThat(down.output).contains("another ./stack up, down, start or stop is changing the stack");
            assertThat(stack("status").output).as("reading needs no lock").contains("nginx running");
        } finally {
            other.descendants().forEach(ProcessHandle::destroy); // sleep holds the lock too
            other.destroy();
            other.waitFor();
        }
    }

    private static long pidOf(String name) throws IOException {
        return Long.parseLong(
                Files.readString(home.resolve(name).resolve(name + ".pid")).strip());
    }

    @Test
    void nothing_listens_beyond_loopback() throws IOException {
        // Replicas bound every interface once: anyone reaching the host skipped nginx (its request ids,
        // its limits) and read /metrics. ./stack promises 127.0.0.1 for every process it starts.
        for (int p : List.of(
                port, port + 1, port + 2, port + 10, port + 20,
                port + 21)) { // nginx, hits-1, hits-2, hits-backup, PostgreSQL, Redis
            assertThat(listeningAddresses(p)).as("listening on port %d", p).containsOnly("127.0.0.1");
        }
    }

    /** The local addresses of the TCP sockets listening on {@code port}, from /proc/net/tcp and tcp6. */
    private static List<String> listeningAddresses(int port) throws IOException {
        List<String> addresses = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String row :
                    Files.readAllLines(Path.of(table)).stream().skip(1).toList()) { // after the header
                String[] fields = row.trim().split("\\s+");
                String[] local = fields[1].split(":");
                if (fields[3].equals("0A") && Integer.parseInt(local[1], 16) == port) {
                    addresses.add(
                            local[0].length() == 8
                                    ? ipv4(local[0])
                                    : local[0].startsWith(IPV4_MAPPED)
                                            ? ipv4(local[0].substring(IPV4_MAPPED.length()))
                                            : "[" + local[0] + "]");
                }
            }
        }
        return addresses;
    }

    /** ::ffff:a.b.c.d as /proc/net/tcp6 writes it: the JVM's dual-stack socket bound to an IPv4 address. */
    private static final String IPV4_MAPPED = "0000000000000000FFFF0000";

    /** /proc/net/tcp writes an IPv4 address as one little-endian hex word: 0100007F is 127.0.0.1. */
    private static String ipv4(String hex) {
        long word = Long.parseLong(hex, 16);
        return (word & 0xff) + "." + (word >> 8 & 0xff) + "." + (word >> 16 & 0xff) + "." + (word >> 24 & 0xff);
    }

    private static String line(String name, int p) {
        return name + " running pid=" + pid(name) + " port=" + p;
    }

    private static String pid(String name) {
        try {
            return java.nio.file.Files.readString(home.resolve(name).resolve(name + ".pid"))
                    .strip();
        } catch (IOException e) {
            return "(no pid file)";
        }
    }

    private static String getJson() {
        return given().spec(Specs.page("http://127.0.0.1:" + port)).get("/").asString();
    }

    private static long total() {
        Matcher m = JSON.matcher(given().spec(Specs.page("http://127.0.0.1:" + port))
                .get("/api/hits")
                .asString());
        assertThat(m.matches()).isTrue();
        return Long.parseLong(m.group(2));
    }

    /** A base port whose whole ./stack range (base .. base+21) is free. */
    private static int freeRange() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20000 + (int) (Math.random() * 20000);
            if (IntStream.rangeClosed(base, base + 21).allMatch(Ports::isFree)) {
                return base;
            }
        }
        throw new IllegalStateException("no free range of 22 ports found between 20000 and 40021");
    }

    private record Result(int exit, String output) {}

    private static Result stack(String... args) {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("stack").toString()));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder =
                    new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
            builder.environment().put("HITS_STACK_HOME", home.toString());
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(
                        "./stack " + String.join(" ", args) + " did not finish in 120 s:\n" + output);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
