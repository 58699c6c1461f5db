package dev.hitslb.platform;

import java.time.Duration;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** Redis plumbing: a pooled client whose connects, reads and pool waits are all bounded by one timeout. */
public final class Redis {
    private Redis() {}

    /** A client for {@code url}: its user and password log in (AUTH), its database is selected (SELECT). */
    public static RedisClient client(RedisUrl url, Duration timeout, String clientName) {
        int ms = (int) timeout.toMillis();
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(16);
        pool.setMaxWait(timeout);
        return RedisClient.builder()
                .hostAndPort(url.host(), url.port())
                .clientConfig(DefaultJedisClientConfig.builder()
                        .connectionTimeoutMillis(ms)
                        .socketTimeoutMillis(ms)
                        .clientName(clientName)
                        .user(url.user())
                        .password(url.password())
                        .database(url.database())
                        .build())
                .poolConfig(pool)
                .build();
    }
}
