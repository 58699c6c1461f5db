package dev.hitslb.lbtests.support;

import io.restassured.builder.RequestSpecBuilder;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.specification.RequestSpecification;

/**
 * REST Assured as the suites use it against a running stack, with time limits: a hung stack fails a
 * test instead of hanging it (REST Assured's own default is to wait for ever).
 */
public final class Specs {
    private Specs() {}

    /** Connected within 5 s, answered within 15 s: nginx may try every replica in turn before it answers. */
    public static HttpClientConfig timeouts() {
        return HttpClientConfig.httpClientConfig()
                .setParam("http.connection.timeout", 5_000)
                .setParam("http.socket.timeout", 15_000);
    }

    /** Requests to {@code baseUrl}, with {@link #timeouts()}. */
    public static RequestSpecBuilder to(String baseUrl) {
        return new RequestSpecBuilder()
                .setBaseUri(baseUrl)
                .setConfig(RestAssuredConfig.config().httpClient(timeouts()));
    }

    /** Page loads from {@code baseUrl} as a program makes them: Accept: application/json. */
    public static RequestSpecification page(String baseUrl) {
        return to(baseUrl).addHeader("Accept", "application/json").build();
    }
}
