package dev.hitslb.lbtests.support;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.testing.Load;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Distinct clients of nginx, told apart the way the algorithm keys on: a source address in its own /24
 * ({@code ip_hash}), an {@code X-Client-Id} ({@code hash}), a cookie jar of its own ({@code sticky}); for
 * the other algorithms every client is alike. {@link #send} makes one request as client {@code k}.
 */
public final class Clients {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final Algorithm algorithm;
    private final String host;
    private final String[] sources;
    private final Map<Integer, String> cookies = new ConcurrentHashMap<>();
    private final Map<Integer, Set<String>> served = new ConcurrentHashMap<>();

    /** Clients 0..{@code count - 1} of nginx at {@code nginxAddress}. */
    public Clients(Algorithm algorithm, NetnsRig rig, String nginxAddress, int count) {
        this.algorithm = algorithm;
        this.host = nginxAddress;
        this.sources = new String[algorithm == Algorithm.IP_HASH ? count : 0];
        for (int k = 0; k < sources.length; k++) {
            sources[k] = rig.clientAddress(10 + k);
        }
    }

    /** One GET / as client {@code k}; who served it is kept for {@link #takeServed()}. */
    public Load.Answer send(int k) {
        Load.Answer answer = request(k);
        if (answer.ok()) {
            served.computeIfAbsent(k, c -> ConcurrentHashMap.newKeySet()).add(answer.instance());
        }
        return answer;
    }

    /**
     * One GET / as a client nginx has not seen: for {@code sticky} without a cookie (and none kept), so
     * it is balanced like a first visit; for the others as client {@code k}.
     */
    public Load.Answer sendAsNew(int k) {
        return algorithm == Algorithm.STICKY ? Load.send(HTTP, page().build(), r -> {}) : send(k);
    }

    /** The replicas that served each client since the last call (2xx answers only), and starts over. */
    public synchronized Map<Integer, Set<String>> takeServed() {
        Map<Integer, Set<String>> taken = new TreeMap<>(served);
        served.clear();
        return taken;
    }

    private Load.Answer request(int k) {
        return switch (algorithm) {
            case IP_HASH -> fromOwnNetwork(sources[k]);
            case HASH ->
                Load.send(HTTP, page().header("X-Client-Id", "client-" + k).build(), r -> {});
            case STICKY -> {
                HttpRequest.Builder request = page();
                String cookie = cookies.get(k);
                if (cookie != null) {
                    request.header("Cookie", cookie);
                }
                yield Load.send(
                        HTTP,
                        request.build(),
                        r -> r.headers().firstValue("Set-Cookie").ifPresent(c -> cookies.put(k, c.split(";", 2)[0])));
            }
            default -> Load.send(HTTP, page().build(), r -> {});
        };
    }

    /** Whether this algorithm binds a client to a replica (ip_hash, hash, sticky). */
    public boolean affine() {
        return algorithm == Algorithm.IP_HASH || algorithm == Algorithm.HASH || algorithm == Algorithm.STICKY;
    }

    private HttpRequest.Builder page() {
        return HttpRequest.newBuilder(URI.create("http://" + host + "/"))
                .header("Accept", "application/json")
                .timeout(Duration.ofSeconds(15));
    }

    /** java.net.http cannot choose a source address: a plain HTTP/1.1 request over a socket bound to {@code source}. */
    private Load.Answer fromOwnNetwork(String source) {
        long sent = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.setSoTimeout(15_000);
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress(host, 80), 5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            String instance = response.lines()
                    .takeWhile(l -> !l.isEmpty())
                    .filter(l -> l.regionMatches(true, 0, "X-Instance-Id:", 0, 14))
                    .map(l -> l.substring(14).strip())
                    .findFirst()
                    .orElse("?");
            return new Load.Answer(
                    sent,
                    status,
                    (System.nanoTime() - sent) / 1000,
                    instance,
                    response.substring(Math.max(0, response.indexOf("\r\n\r\n")))
                            .strip());
        } catch (IOException | RuntimeException e) {
            return new Load.Answer(sent, 0, (System.nanoTime() - sent) / 1000, "?", e.toString());
        }
    }
}
