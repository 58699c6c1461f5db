package dev.hitslb.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Steady load from many distinct clients for {@code --algorithms}: each client key has its own keep-alive connection
 * from its own /24 (127.A.B.1, which ip_hash keys on), sends its key as {@code X-Client-Id} (which hash keys on) and
 * keeps the cookie nginx sets (which sticky keys on). Every algorithm meets the same clients. wrk and hey send from
 * one address with no key, so they cannot show what affinity does; this client records every answer, and stops by
 * waiting for each request in flight, so its 2xx count can be held against PostgreSQL's total.
 * <p>
 * Each of {@code workers} threads owns {@link #KEYS_PER_WORKER} keys and sends one request at a time, picking one of
 * its keys per request: evenly, or skewed (its first key, {@link #HOT_SHARE} of the time: 80 % of the page loads from
 * 20 % of the keys).
 */
final class KeyedLoad {
    static final int KEYS_PER_WORKER = 5;
    static final double HOT_SHARE = 0.8;
    private static final int TIMEOUT_MS = 15_000;

    /** One answer; status 0: no HTTP answer at all (refused, reset, timed out). */
    record Answer(int key, int status, long micros, String instance) {
        boolean ok() {
            return status / 100 == 2;
        }
    }

    private final String host;
    private final int port;
    private final int workers;
    private final boolean skewed;
    private final Map<Integer, String> cookies = new ConcurrentHashMap<>();

    /** Clients of {@code host:port}; the same object keeps their cookies from one {@link #run} to the next. */
    KeyedLoad(String host, int port, int workers, boolean skewed) {
        this.host = host;
        this.port = port;
        this.workers = workers;
        this.skewed = skewed;
    }

    int keys() {
        return workers * KEYS_PER_WORKER;
    }

    /** Whether {@code key} is one of the hot 20 % in a skewed load. */
    boolean hot(int key) {
        return key < workers;
    }

    /** The source address of client {@code key}: a /24 of its own inside 127.0.0.0/8. */
    static String source(int key) {
        return "127." + (1 + key / 256) + "." + (key % 256) + ".1";
    }

    /** Sends until {@code duration} has passed, then waits for the requests in flight; every answer. */
    List<Answer> run(Duration duration) {
        long end = System.nanoTime() + duration.toNanos();
        List<List<Answer>> perWorker = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            List<Answer> answers = new ArrayList<>();
            perWorker.add(answers);
            int worker = w;
            threads.add(Thread.ofVirtual().start(() -> work(worker, end, answers)));
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        return perWorker.stream().flatMap(List::stream).toList();
    }

    private void work(int worker, long end, List<Answer> answers) {
        SplittableRandom random = new SplittableRandom(worker);
        Connection[] connections = new Connection[KEYS_PER_WORKER];
        try {
            while (System.nanoTime() < end) {
                int slot = skewed
                        ? (random.nextDouble() < HOT_SHARE ? 0 : 1 + random.nextInt(KEYS_PER_WORKER - 1))
                        : random.nextInt(KEYS_PER_WORKER);
                int key = worker + slot * workers; // keys 0..workers-1 are the hot ones
                answers.add(send(key, connections, slot));
            }
        } finally {
            for (Connection connection : connections) {
                if (connection != null) {
                    connection.close();
                }
            }
        }
    }

    private Answer send(int key, Connection[] connections, int slot) {
        long t0 = System.nanoTime();
        try {
            if (connections[slot] == null) {
                connections[slot] = new Connection(key);
            }
            Response response = connections[slot].get(key);
            if (response.close()) {
                connections[slot].close();
                connections[slot] = null;
            }
            return new Answer(key, response.status(), (System.nanoTime() - t0) / 1000, response.instance());
        } catch (IOException | RuntimeException e) {
            if (connections[slot] != null) {
                connections[slot].close();
                connections[slot] = null;
            }
            return new Answer(key, 0, (System.nanoTime() - t0) / 1000, "?");
        }
    }

    private record Response(int status, String instance, boolean close) {}

    /** One client's keep-alive HTTP/1.1 connection (java.net.http cannot choose a source address). */
    private final class Connection {
        private final Socket socket = new Socket();
        private final InputStream in;
        private final OutputStream out;

        Connection(int key) throws IOException {
            socket.setSoTimeout(TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            socket.bind(new InetSocketAddress(source(key), 0));
            socket.connect(new InetSocketAddress(host, port), 5_000);
            in = new BufferedInputStream(socket.getInputStream(), 8192);
            out = socket.getOutputStream();
        }

        Response get(int key) throws IOException {
            String cookie = cookies.get(key);
            out.write(("GET / HTTP/1.1\r\nHost: " + host + ":" + port
                            + "\r\nAccept: application/json\r\nX-Client-Id: client-" + key + "\r\n"
                            + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = line();
            int status = Integer.parseInt(statusLine.substring(9, 12));
            String instance = "?";
            long length = -1;
            boolean chunked = false;
            boolean close = statusLine.startsWith("HTTP/1.0");
            for (String header = line(); !header.isEmpty(); header = line()) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT);
                String value = header.substring(colon + 1).strip();
                switch (name) {
                    case "x-instance-id" -> instance = value;
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    case "set-cookie" -> cookies.put(key, value.split(";", 2)[0]);
                    default -> {}
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";", 2)[0].strip(), 16);
                        size > 0;
                        size = Long.parseLong(line().split(";", 2)[0].strip(), 16)) {
                    skip(size);
                    line();
                }
                for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
                    // trailers: none expected
                }
            } else if (length >= 0) {
                skip(length);
            } else {
                close = true;
            }
            return new Response(status, instance, close);
        }

        private void skip(long n) throws IOException {
            in.skipNBytes(n);
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed mid-response");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing: nothing left to do
            }
        }
    }
}
