package dev.hitslb.platform;

import java.time.Duration;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** Redis plumbing: a pooled client whose connects, reads and pool waits are all bounded by one timeout. */
public final class Redis {
    private Redis() {
    }

    public static RedisClient client(String host, int port, Duration timeout, String clientName) {
        int ms = (int) timeout.toMillis();
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(16);
        pool.setMaxWait(timeout);
        return RedisClient.builder()
                .hostAndPort(host, port)
                .clientConfig(DefaultJedisClientConfig.builder()
                        .connectionTimeoutMillis(ms)
                        .socketTimeoutMillis(ms)
                        .clientName(clientName)
                        .build())
                .poolConfig(pool)
                .build();
    }
}
