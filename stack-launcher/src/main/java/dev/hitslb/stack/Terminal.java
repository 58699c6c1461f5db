package dev.hitslb.stack;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The terminal's line discipline, through stty(1): the JDK reads keys only after Enter. */
final class Terminal {
    private static final File TTY = new File("/dev/tty");

    private Terminal() {}

    /**
     * Keys arrive as they are pressed, unechoed, until this JVM exits: a shutdown hook restores the
     * terminal's settings however it ends (q, Ctrl-C, an error).
     */
    static void keysWithoutEnter() {
        String saved = stty("-g").strip();
        stty("-icanon", "-echo", "min", "0", "time", "0");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stty(saved), "terminal-restore"));
    }

    private static String stty(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "stty";
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            Process stty = new ProcessBuilder(command)
                    .redirectInput(TTY)
                    .redirectErrorStream(true)
                    .start();
            String output = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (stty.waitFor() != 0) {
                throw new IllegalStateException("stty " + String.join(" ", args) + " failed: " + output.strip());
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("could not run stty(1) on /dev/tty", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running stty", e);
        }
    }
}
