package dev.hitslb.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The pure part of {@code --algorithms}: one run's figures, the markdown table and the SVG chart of a case, and the
 * verdict. The verdict is about correctness only (timing and shares are reported, never judged): a page load lost or
 * counted twice, or a request failed although a healthy replica was there to retry on, which every case has.
 */
final class AlgorithmReport {
    private AlgorithmReport() {}

    /**
     * One algorithm under one case.
     *
     * @param served         2xx answers per instance (X-Instance-Id)
     * @param failed         requests without a 2xx (no answer at all included)
     * @param retried        page loads nginx sent to more than one replica (its access log)
     * @param clientsChanged clients served by more than one replica; -1 where the algorithm promises no affinity
     * @param counted        what PostgreSQL's total grew by
     */
    record Run(
            String algorithm,
            Map<String, Long> served,
            double p50Ms,
            double p99Ms,
            double maxMs,
            long failed,
            long retried,
            int clientsChanged,
            int clients,
            long counted) {
        long ok() {
            return served.values().stream().mapToLong(Long::longValue).sum();
        }

        boolean exactlyOnce() {
            return counted == ok();
        }

        /** Correct: exactly once, and no request failed (in every case two replicas stay healthy). */
        boolean passed() {
            return exactlyOnce() && failed == 0;
        }

        double share(String instance) {
            long ok = ok();
            return ok == 0 ? 0 : 100.0 * served.getOrDefault(instance, 0L) / ok;
        }
    }

    /** The markdown table of one case: a row per algorithm; {@code disturbed} (may be null) is marked in its column's heading. */
    static String table(Collection<Run> runs, String disturbed) {
        List<String> instances = instances(runs);
        StringBuilder md = new StringBuilder("| algorithm | ");
        for (String instance : instances) {
            md.append(instance.equals(disturbed) ? instance + " (disturbed)" : instance)
                    .append(" | ");
        }
        md.append("p50 | p99 | max | failed | retried by nginx | clients that changed replica | exactly once |\n|---|");
        md.append("---:|".repeat(instances.size() + 6)).append("---|\n");
        for (Run run : runs) {
            md.append("| ").append(run.algorithm()).append(" | ");
            for (String instance : instances) {
                md.append(String.format(Locale.ROOT, "%.1f %%", run.share(instance)))
                        .append(" | ");
            }
            md.append(Bench.ms(run.p50Ms()))
                    .append(" | ")
                    .append(Bench.ms(run.p99Ms()))
                    .append(" | ")
                    .append(Bench.ms(run.maxMs()))
                    .append(" | ")
                    .append(run.failed() == 0 ? "0" : "**" + run.failed() + "**")
                    .append(" | ")
                    .append(run.retried())
                    .append(" | ")
                    .append(run.clientsChanged() < 0 ? "–" : run.clientsChanged() + " of " + run.clients())
                    .append(" | ")
                    .append(
                            run.exactlyOnce()
                                    ? "yes (" + run.ok() + ")"
                                    : "**no**: " + run.ok() + " 2xx, total +" + run.counted())
                    .append(" |\n");
        }
        return md.toString();
    }

    /** Every instance that served in any run, in name order. */
    static List<String> instances(Collection<Run> runs) {
        TreeSet<String> names = new TreeSet<>();
        runs.forEach(r -> names.addAll(r.served().keySet()));
        names.remove("?");
        return List.copyOf(names);
    }

    /** The runs that were not correct, each as one line saying why; empty when every run passed. */
    static List<String> verdict(String caseName, Collection<Run> runs) {
        List<String> wrong = new ArrayList<>();
        for (Run run : runs) {
            if (!run.exactlyOnce()) {
                wrong.add(caseName + ", " + run.algorithm() + ": " + run.ok()
                        + " page loads answered 2xx but PostgreSQL's total grew by " + run.counted()
                        + (run.counted() < run.ok() ? " (lost)" : " (counted twice)"));
            }
            if (run.failed() > 0) {
                wrong.add(caseName + ", " + run.algorithm() + ": " + run.failed()
                        + " requests failed although healthy replicas" + " were there to retry on");
            }
        }
        return wrong;
    }

    /**
     * A plain SVG chart of one case: per algorithm, a bar of its p99 (left) and of the disturbed replica's share
     * (right, with a mark at an even third); with none disturbed ({@code null}), the busiest replica's share.
     */
    static String chart(String title, Collection<Run> runs, String disturbed) {
        int rowHeight = 26;
        int top = 56;
        int labelWidth = 110;
        int panel = 300;
        int gap = 70;
        int height = top + rowHeight * runs.size() + 30;
        int width = labelWidth + 2 * panel + gap + 20;
        double maxP99 = runs.stream().mapToDouble(Run::p99Ms).max().orElse(1);
        double p99Scale = niceCeiling(Math.max(maxP99, 1));
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                        + " font-family=\"sans-serif\" font-size=\"12\">%n",
                width,
                height,
                width,
                height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", width, height));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                escape(title)));
        int left = labelWidth;
        int right = labelWidth + panel + gap;
        svg.append(String.format(
                Locale.ROOT, "<text x=\"%d\" y=\"44\">p99 latency (ms), scale 0 to %s</text>%n", left, trim(p99Scale)));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"44\">%s's share of the page loads (%%)</text>%n",
                right,
                escape(disturbed == null ? "the busiest replica" : disturbed)));
        int row = 0;
        for (Run run : runs) {
            int y = top + row * rowHeight;
            svg.append(
                    String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\">%s</text>%n", y + 15, escape(run.algorithm())));
            double p99Width = panel * Math.min(1, run.p99Ms() / p99Scale);
            svg.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>%n",
                    left,
                    y + 2,
                    p99Width,
                    run.passed() ? "#4a7ab5" : "#c0392b"));
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\">%s</text>%n",
                    left + p99Width + 4,
                    y + 15,
                    escape(Bench.ms(run.p99Ms()))));
            double share = disturbed == null
                    ? run.served().keySet().stream()
                            .mapToDouble(run::share)
                            .max()
                            .orElse(0)
                    : run.share(disturbed);
            double shareWidth = panel * share / 100;
            svg.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"#e08a2c\"/>%n",
                    right,
                    y + 2,
                    shareWidth));
            svg.append(String.format(
                    Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%.1f %%</text>%n", right + shareWidth + 4, y + 15, share));
            row++;
        }
        int bottom = top + rowHeight * runs.size();
        double third = right + panel / 3.0;
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555555\" stroke-dasharray=\"4 3\"/>%n",
                third,
                top,
                third,
                bottom));
        svg.append(String.format(
                Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#555555\">a third</text>%n", third - 20, bottom + 16));
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999999\"/>%n",
                left,
                top,
                left,
                bottom));
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999999\"/>%n",
                right,
                top,
                right,
                bottom));
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** The next of 1, 2, 5 times a power of ten at or above {@code value}: a round end for an axis. */
    static double niceCeiling(double value) {
        double power = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * power >= value - 1e-9) {
                return step * power;
            }
        }
        return 10 * power;
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }
}
