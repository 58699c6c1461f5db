package dev.hitslb.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What nginx's access log (log_format upstream_log, lb-config's nginx.conf) says about a stretch of load: every
 * request the clients sent, answered or not, which a load tool's own report may not cover.
 */
final class AccessLog {
    /** The status follows the request line. */
    private static final Pattern STATUS = Pattern.compile("\" (\\d{3}) ");
    /** $time_local, e.g. [24/Nov/2026:00:30:36 +0000]: when nginx finished the request, to the second. */
    private static final Pattern TIME = Pattern.compile("\\[([^]]+)]");
    /** $upstream_addr: the replicas tried, ", " between tries, " : " where an error_page sent the request on. */
    private static final Pattern UPSTREAM = Pattern.compile(" upstream=(.*?) ustatus=");

    private static final DateTimeFormatter TIME_LOCAL =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);

    private AccessLog() {}

    /** The statuses nginx logged between two offsets of its access log. */
    static Map<Integer, Long> statuses(Path accessLog, long from, long to) throws IOException {
        Map<Integer, Long> statuses = new TreeMap<>();
        lines(accessLog, from, to, line -> {
            Matcher m = STATUS.matcher(line);
            if (m.find()) {
                statuses.merge(Integer.parseInt(m.group(1)), 1L, Long::sum);
            }
        });
        return statuses;
    }

    /** The requests nginx finished in each second (epoch seconds) between two offsets of its access log. */
    static Map<Long, Long> perSecond(Path accessLog, long from, long to) throws IOException {
        Map<Long, Long> seconds = new TreeMap<>();
        lines(accessLog, from, to, line -> {
            Matcher m = TIME.matcher(line);
            if (m.find()) {
                seconds.merge(OffsetDateTime.parse(m.group(1), TIME_LOCAL).toEpochSecond(), 1L, Long::sum);
            }
        });
        return seconds;
    }

    /** The requests nginx sent to more than one replica (it retried them) between two offsets of its access log. */
    static long retried(Path accessLog, long from, long to) throws IOException {
        long[] retried = {0};
        lines(accessLog, from, to, line -> {
            Matcher m = UPSTREAM.matcher(line);
            if (m.find() && (m.group(1).contains(", ") || m.group(1).contains(" : "))) {
                retried[0]++;
            }
        });
        return retried[0];
    }

    private static void lines(Path accessLog, long from, long to, Consumer<String> each) throws IOException {
        try (FileChannel channel = FileChannel.open(accessLog);
                BufferedReader lines = new BufferedReader(
                        Channels.newReader(channel.position(from), StandardCharsets.UTF_8), 1 << 16)) {
            long read = from;
            for (String line = lines.readLine(); line != null && read < to; line = lines.readLine()) {
                read += line.length() + 1; // ASCII: nginx escapes anything else
                each.accept(line);
            }
        }
    }
}
