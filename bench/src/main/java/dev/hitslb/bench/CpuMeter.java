package dev.hitslb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the CPU went during one load run: CPU time of each part of the stack (a process and its
 * children, e.g. the postmaster and its backends) and of the whole machine, read before and after.
 * Divided by the requests served, it says what one request costs each part, which is what decides
 * throughput once every core is busy.
 */
final class CpuMeter {
    /** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every mainstream architecture. */
    private static final double TICKS_PER_SECOND = 100;

    static final String REST = "rest (wrk, kernel)";
    static final String TOTAL = "machine";

    private final Map<String, List<Long>> parts;

    /** {@code parts}: a name for each part, in report order, and the root processes it is made of. */
    CpuMeter(Map<String, List<Long>> parts) {
        this.parts = parts;
    }

    /** The CPU time of each process of each part, and the machine's busy time. */
    record Snapshot(Map<String, Map<Long, Duration>> parts, Duration machineBusy) {}

    Snapshot take() {
        Map<String, Map<Long, Duration>> byPart = new LinkedHashMap<>();
        parts.forEach((name, roots) -> {
            Map<Long, Duration> byPid = new HashMap<>();
            roots.forEach(root -> ProcessHandle.of(root)
                    .ifPresent(handle -> Stream.concat(Stream.of(handle), handle.descendants())
                            .forEach(p -> p.info().totalCpuDuration().ifPresent(cpu -> byPid.put(p.pid(), cpu)))));
            byPart.put(name, byPid);
        });
        return new Snapshot(byPart, machineBusy(readProcStat()));
    }

    /**
     * Microseconds of CPU per request for each part between two snapshots, then the rest of the
     * machine's busy time (the load tool, the kernel's loopback work) and the total. A process that
     * started in between counts from zero; one that ended in between is left out.
     */
    static Map<String, Double> perRequest(Snapshot before, Snapshot after, long requests) {
        Map<String, Double> micros = new LinkedHashMap<>();
        double accounted = 0;
        for (Map.Entry<String, Map<Long, Duration>> part : after.parts().entrySet()) {
            Map<Long, Duration> was = before.parts().getOrDefault(part.getKey(), Map.of());
            double used = part.getValue().entrySet().stream()
                    .mapToDouble(e -> micros(e.getValue()) - micros(was.get(e.getKey())))
                    .sum();
            micros.put(part.getKey(), used / requests);
            accounted += used;
        }
        double busy = micros(after.machineBusy()) - micros(before.machineBusy());
        micros.put(REST, Math.max(0, busy - accounted) / requests);
        micros.put(TOTAL, busy / requests);
        return micros;
    }

    /**
     * CPU time of the JIT compiler threads of the JVM {@code pid} so far: what a cold JVM spends compiling instead
     * of serving (HotSpot names them "C1 CompilerThreadN" and "C2 CompilerThreadN"; Linux keeps 15 characters).
     */
    static Duration compilerCpu(long pid) {
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return threads.map(task -> {
                        try {
                            String name = Files.readString(task.resolve("comm"));
                            return name.strip().matches("C[12] CompilerThre.*")
                                    ? threadCpu(Files.readString(task.resolve("stat")))
                                    : Duration.ZERO;
                        } catch (IOException e) {
                            return Duration.ZERO; // the thread ended meanwhile
                        }
                    })
                    .reduce(Duration.ZERO, Duration::plus);
        } catch (IOException e) {
            return Duration.ZERO; // the process ended meanwhile
        }
    }

    /** User plus system time from a /proc/PID/task/TID/stat line (fields 14 and 15; the name in parentheses may hold spaces). */
    static Duration threadCpu(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return Duration.ofNanos(Math.round(ticks / TICKS_PER_SECOND * 1e9));
    }

    private static double micros(Duration cpu) {
        return cpu == null ? 0 : cpu.toNanos() / 1000.0;
    }

    /**
     * The first line of /proc/stat: time in user, nice, system, idle, iowait, irq, softirq, steal...
     * Busy is user to softirq without idle and iowait; steal is another guest's time on this host.
     */
    static Duration machineBusy(String procStat) {
        String[] fields = procStat.lines().findFirst().orElseThrow().trim().split("\\s+");
        if (!fields[0].equals("cpu") || fields.length < 8) {
            throw new IllegalArgumentException("not /proc/stat: " + fields[0]);
        }
        long busy = 0;
        for (int i = 1; i <= 7; i++) {
            if (i != 4 && i != 5) {
                busy += Long.parseLong(fields[i]);
            }
        }
        return Duration.ofNanos(Math.round(busy / TICKS_PER_SECOND * 1e9));
    }

    private static String readProcStat() {
        try {
            return Files.readString(Path.of("/proc/stat"));
        } catch (IOException e) {
            throw new UncheckedIOException("bench/ reads /proc/stat, so it runs on Linux only", e);
        }
    }
}
