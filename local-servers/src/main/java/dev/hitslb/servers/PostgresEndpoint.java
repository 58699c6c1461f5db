package dev.hitslb.servers;

/** Where a PostgreSQL database is and how to log in. */
public record PostgresEndpoint(String jdbcUrl, String user, String password) {}
