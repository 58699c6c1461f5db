package dev.hitslb.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./stack watch}: one refreshing screen with each process's state, the page loads a second
 * each replica answered and the errors nginx gave (both from nginx's access log, so they are what
 * clients saw), and the total in PostgreSQL. For a server without a browser.
 */
final class StackWatch {
    /** From the access log's format (lb-config's nginx.conf): the status nginx answered and every replica tried. */
    private static final Pattern LINE = Pattern.compile("\" (\\d{3}) .* upstream=(\\S.*?) ustatus=");

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** One access-log line: the status the client got, and the replica that gave the final answer, if any. */
    record Answer(int status, Optional<String> address) {
        boolean failed() {
            return status >= 500;
        }
    }

    /** What one refresh counted: answers per replica address, and nginx's failed answers. */
    record Counts(Map<String, Long> byAddress, long answers, long failed) {}

    private final LocalStack stack;
    private final PrintStream out;
    private long offset;

    StackWatch(LocalStack stack, PrintStream out) {
        this.stack = stack;
        this.out = out;
    }

    /** Parses one line of the access log; empty for a line in another format. */
    static Optional<Answer> parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        // "127.0.0.1:8082, 127.0.0.1:8083": the last replica tried is the one whose answer the client got.
        String[] tried = m.group(2).split(", ");
        String last = tried[tried.length - 1].strip();
        return Optional.of(
                new Answer(Integer.parseInt(m.group(1)), last.equals("-") ? Optional.empty() : Optional.of(last)));
    }

    static Counts count(List<String> lines) {
        Map<String, Long> byAddress = new LinkedHashMap<>();
        long answers = 0;
        long failed = 0;
        for (String line : lines) {
            Optional<Answer> answer = parse(line);
            if (answer.isEmpty()) {
                continue;
            }
            answers++;
            if (answer.get().failed()) {
                failed++;
            }
            answer.get()
                    .address()
                    .filter(a -> !answer.get().failed())
                    .ifPresent(a -> byAddress.merge(a, 1L, Long::sum));
        }
        return new Counts(byAddress, answers, failed);
    }

    /** One screen: a header, a line per process, the total. */
    static String frame(
            StackLayout layout,
            Map<String, String> states,
            Map<String, Long> pids,
            Counts counts,
            Duration interval,
            String total,
            LocalTime now) {
        double seconds = Math.max(0.001, interval.toMillis() / 1000.0);
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                Locale.ROOT,
                "%s  %s  %s   %s   (q or Ctrl-C leaves)%n%n",
                layout.title(),
                layout.algorithm().id(),
                layout.url(),
                now.format(CLOCK)));
        String row = "%-" + layout.nameWidth() + "s %-9s %8s %9s %9s%n";
        s.append(String.format(Locale.ROOT, row, "process", "state", "pid", "answers/s", "errors/s"));
        for (String name : layout.names()) {
            String rate = "";
            String errors = "";
            if (layout.replicaNames().contains(name)) {
                long answered = counts.byAddress().getOrDefault("127.0.0.1:" + layout.port(name), 0L);
                rate = String.format(Locale.ROOT, "%.1f", answered / seconds);
            } else if (name.equals("nginx")) {
                rate = String.format(Locale.ROOT, "%.1f", counts.answers() / seconds);
                errors = String.format(Locale.ROOT, "%.1f", counts.failed() / seconds);
            }
            s.append(String.format(
                    Locale.ROOT,
                    row,
                    name,
                    states.get(name),
                    pids.containsKey(name) ? pids.get(name).toString() : "-",
                    rate,
                    errors));
        }
        s.append(String.format(Locale.ROOT, "%ntotal in PostgreSQL: %s%n", total));
        s.append("answers/s: the page loads each replica answered, through nginx; errors/s: nginx's 5xx answers\n");
        return s.toString();
    }

    /**
     * Refreshes every {@code interval} until q, Ctrl-C, or {@code frames} screens (0: no limit). On a
     * terminal the screen is redrawn in place; otherwise (a pipe, a test) each frame is printed below the last.
     */
    void run(Duration interval, int frames, InputStream keys, boolean terminal) throws InterruptedException {
        offset = size(stack.accessLog()); // from now on: what happened before is not this screen's rate
        for (int shown = 0; frames == 0 || shown < frames; shown++) {
            long t0 = System.nanoTime();
            if (waitForQuit(keys, interval)) {
                return;
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            StackLayout layout = stack.layout();
            Map<String, String> states = new LinkedHashMap<>();
            Map<String, Long> pids = new LinkedHashMap<>();
            for (String name : layout.names()) {
                states.put(name, stack.state(name).toString());
                stack.pid(name).ifPresent(pid -> pids.put(name, pid));
            }
            String screen = frame(layout, states, pids, count(newLines()), elapsed, total(), LocalTime.now());
            out.print(terminal ? "\033[H\033[2J" + screen : screen + "\n");
            out.flush();
        }
    }

    private String total() {
        if (stack.state("postgres") != LocalStack.State.RUNNING) {
            return "- (PostgreSQL is " + stack.state("postgres") + ")";
        }
        try {
            return String.format(Locale.ROOT, "%,d", stack.total());
        } catch (RuntimeException e) {
            return "- (" + e.getMessage().lines().findFirst().orElse("unreadable") + ")";
        }
    }

    /** Sleeps for {@code interval}, watching for q; true when q was pressed. */
    private static boolean waitForQuit(InputStream keys, Duration interval) throws InterruptedException {
        long deadline = System.nanoTime() + interval.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                while (keys.available() > 0) {
                    int key = keys.read();
                    if (key == 'q' || key == 'Q') {
                        return true;
                    }
                }
            } catch (IOException e) {
                // No keyboard (closed stdin): Ctrl-C or --frames ends the view.
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** The access-log lines written since the last call (from the start again if the log was truncated). */
    private List<String> newLines() {
        Path log = stack.accessLog();
        List<String> lines = new ArrayList<>();
        if (!Files.isRegularFile(log)) {
            return lines;
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            if (file.length() < offset) {
                offset = 0;
            }
            file.seek(offset);
            byte[] bytes = new byte[(int) Math.min(file.length() - offset, 64L << 20)];
            file.readFully(bytes);
            int end = new String(bytes, StandardCharsets.ISO_8859_1).lastIndexOf('\n') + 1; // whole lines only
            offset += end;
            new String(bytes, 0, end, StandardCharsets.UTF_8).lines().forEach(lines::add);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + log, e);
        }
        return lines;
    }

    private static long size(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
