package dev.hitslb.servers;

/** Where a Redis server is. */
public record RedisEndpoint(String host, int port) {
    public String url() {
        return "redis://" + host + ":" + port;
    }
}
