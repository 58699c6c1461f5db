package dev.hitslb.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/**
 * A TCP proxy on 127.0.0.1 in front of one replica that holds every chunk of its answers for {@code delay}: a
 * slow replica, or a slow network path to it, made from outside (the service has no delay switch to leave on by
 * mistake, and not every kernel has tc's netem). Per connection, so requests on other connections are not held
 * behind it; nginx sends one request at a time on each.
 */
public final class SlowProxy implements AutoCloseable {
    private final ServerSocket server;

    private SlowProxy(ServerSocket server) {
        this.server = server;
    }

    public static SlowProxy start(int targetPort, Duration delay) throws IOException {
        ServerSocket server = new ServerSocket(Ports.free(), 128, InetAddress.getLoopbackAddress());
        SlowProxy proxy = new SlowProxy(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    Thread.ofVirtual().start(() -> pipe(client, upstream, Duration.ZERO));
                    Thread.ofVirtual().start(() -> pipe(upstream, client, delay));
                } catch (IOException e) {
                    // closed, or the replica refused: the client sees the connection drop
                }
            }
        });
        return proxy;
    }

    public int port() {
        return server.getLocalPort();
    }

    private static void pipe(Socket from, Socket to, Duration delay) {
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[16384];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (!delay.isZero()) {
                    Thread.sleep(delay);
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // one side closed
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
