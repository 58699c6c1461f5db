package dev.hitslb.lb;

import java.io.UncheckedIOException;
import picocli.CommandLine;

/** What the project's command lines (lb-config, ./stack, bench/run) share. */
public final class Cli {
    private Cli() {}

    /**
     * A command line whose expected failures (bad input, a port in use, a missing binary) print one line
     * naming the command, and exit 1, instead of a stack trace. Bad usage exits 2 (picocli's default).
     */
    public static CommandLine commandLine(Object command) {
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException
                    || e instanceof UncheckedIOException) {
                commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli;
    }
}
