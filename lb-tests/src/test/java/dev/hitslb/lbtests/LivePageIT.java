package dev.hitslb.lbtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitslb.lb.Algorithm;
import dev.hitslb.lbtests.support.LbStack;
import dev.hitslb.servers.Binaries;
import dev.hitslb.servers.ThrowawayDirs;
import dev.hitslb.servers.Wait;
import dev.hitslb.stack.LocalStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * GET /live/ in a real browser (headless Chromium): every replica appears with traffic; a killed
 * replica's rate drops to zero with no error shown, and it comes back once started again. A screenshot
 * of the page during the failover goes to target/live-failover.png.
 */
class LivePageIT {
    private static final List<String> REPLICAS = List.of("hits-1", "hits-2", "hits-3");
    private static ChromeDriver browser;

    @BeforeAll
    static void openBrowser() {
        Path chromium = Binaries.require("chromium");
        Path driver = Binaries.require("chromedriver");
        ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile());
        // What this machine's closed network needs: no background fetches, a fresh profile.
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1100,1100",
                "--user-data-dir=" + ThrowawayDirs.create("chromium"));
        // The driver named outright: Selenium Manager would try to download one.
        browser = new ChromeDriver(
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(driver.toFile())
                        .build(),
                options);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @AfterEach
    void restore() {
        LbStack.restoreAll();
    }

    @Test
    void the_page_shows_each_replica_and_a_failover_without_errors() throws IOException {
        LocalStack stack = LbStack.get();
        LbStack.use(Algorithm.ROUND_ROBIN);
        LbStack.restoreAll();
        browser.get(LbStack.baseUrl() + "/live");
        browser.findElement(By.id("rate")).clear();
        browser.findElement(By.id("rate")).sendKeys("12");

        await("every replica to show traffic on /live", () -> REPLICAS.stream().allMatch(r -> rate(r) > 0));
        assertThat(text("algorithm")).isEqualTo("round_robin");
        assertThat(text("errors")).isEqualTo("0");

        stack.kill("hits-2");
        await("hits-2's rate to drop to 0 on /live", () -> rate("hits-2") == 0);
        Path screenshot = Path.of("target", "live-failover.png");
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), screenshot, StandardCopyOption.REPLACE_EXISTING);
        assertThat(text("errors"))
                .as("a killed replica costs the page nothing (%s)", shown())
                .isEqualTo("0");
        assertThat(rate("hits-1")).isPositive();
        assertThat(rate("hits-3")).isPositive();

        stack.start("hits-2");
        // Back in rotation once nginx's fail_timeout (5 s) has passed.
        await("hits-2 to show traffic again", () -> rate("hits-2") > 0);
        assertThat(text("errors")).isEqualTo("0");
        assertThat(text("backwards")).as("the total never went backwards").isEqualTo("never");
        System.out.println("/live during the failover: " + screenshot.toAbsolutePath() + "; now " + shown());
    }

    /** Waits up to 30 s for {@code condition}; a timeout says what the page showed then. */
    private static void await(String what, BooleanSupplier condition) {
        try {
            Wait.until(what, Duration.ofSeconds(30), condition);
        } catch (IllegalStateException timedOut) {
            throw new AssertionError(timedOut.getMessage() + "; the page shows " + shown(), timedOut);
        }
    }

    /** The rate /live shows for {@code instance} over its last 5 s, in page loads a second (0 when absent). */
    private static double rate(String instance) {
        String rate = read("#shares tr[data-instance='" + instance + "'] td.rate");
        return rate == null ? 0 : Double.parseDouble(rate.replace("/s", ""));
    }

    private static String text(String id) {
        return read("#" + id);
    }

    /** The text of the element {@code selector} picks, or null; in one step, since the page redraws twice a second. */
    private static String read(String selector) {
        return (String) browser.executeScript(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector);
    }

    private static String shown() {
        Map<String, Double> rates = REPLICAS.stream().collect(Collectors.toMap(r -> r, LivePageIT::rate));
        return "rates " + rates + ", errors " + text("errors");
    }
}
