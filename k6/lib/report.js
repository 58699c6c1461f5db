// The end-of-test report every k6 script writes: a per-instance table with a verdict (stdout), and a
// self-contained HTML page with a bar chart of the shares. Pure logic: it imports nothing from k6, so
// k6's handleSummary (lib/hits.js) and the Node tests (test/report.test.js) run the same code.

/**
 * The part of k6's end-of-test summary the report reads.
 * @typedef {{ values: Record<string, number>, thresholds?: Record<string, { ok: boolean }> }} SummaryMetric
 * @typedef {{ metrics: Record<string, SummaryMetric> }} Summary
 * @typedef {{ instance: string, count: number, goal: string, ok: boolean }} Row
 */

/** Where timeline.js puts the run's timeline in the page: everything between these two lines. */
export const TIMELINE_START = '<!-- timeline: k6/timeline.js replaces this part -->';
export const TIMELINE_END = '<!-- /timeline -->';

/** A count-only threshold (perInstanceThresholds with 0): kept for the report, never a verdict. */
const COUNT_ONLY = 'count>=0';

export function escapeHtml(/** @type {unknown} */ text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Per-instance counts from the summary, expected instances first, then one row for any other answer. */
export function instanceRows(/** @type {Summary} */ data, /** @type {string[]} */ instances) {
  /** @type {Row[]} */
  const rows = instances.map((instance) => {
    const metric = data.metrics[`lb_hits{instance:${instance}}`];
    const thresholds = metric && metric.thresholds
      ? Object.entries(metric.thresholds).filter(([expr]) => expr !== COUNT_ONLY) : [];
    return {
      instance,
      count: metric ? metric.values.count : 0,
      goal: thresholds.map(([expr]) => expr.replace('count', '')).join(' '),
      ok: thresholds.every(([, t]) => t.ok),
    };
  });
  const total = data.metrics.lb_hits ? data.metrics.lb_hits.values.count : 0;
  const known = rows.reduce((sum, r) => sum + r.count, 0);
  if (total > known) {
    rows.push({ instance: '(other instances or errors)', count: total - known, goal: '', ok: true });
  }
  return { rows, total };
}

/** Every threshold of the run but the count-only ones, with whether it held, sorted by metric. */
export function thresholdResults(/** @type {Summary} */ data) {
  const results = [];
  for (const [name, metric] of Object.entries(data.metrics)) {
    for (const [expr, t] of Object.entries(metric.thresholds || {})) {
      if (expr !== COUNT_ONLY) {
        results.push({ name, expr, ok: t.ok });
      }
    }
  }
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether any instance's own threshold failed (a starved replica). */
export function anyInstanceStarved(/** @type {Summary} */ data) {
  return Object.entries(data.metrics).some(([name, m]) => name.startsWith('lb_hits{')
    && Object.values(m.thresholds || {}).some((t) => !t.ok));
}

const percent = (/** @type {number} */ part, /** @type {number} */ total) => (total ? ((100 * part) / total).toFixed(1) : '0.0');

/** The report printed at the end of a run: a row per instance with a verdict, then every threshold. */
export function reportText(
  /** @type {string} */ name, /** @type {string} */ target, /** @type {Row[]} */ rows, /** @type {number} */ total,
  /** @type {{name: string, expr: string, ok: boolean}[]} */ thresholds, /** @type {string[]} */ notes,
  /** @type {string[]} */ files) {
  const passed = thresholds.every((t) => t.ok);
  const lines = ['', `${name}: ${total} page loads through ${target}`, ''];
  lines.push(`  ${'instance'.padEnd(28)} ${'page loads'.padStart(10)} ${'share'.padStart(7)}  ${'threshold'.padEnd(10)} verdict`);
  for (const r of rows) {
    const share = total ? `${percent(r.count, total)} %` : '-';
    const verdict = r.goal ? (r.ok ? 'pass' : 'FAIL: starved') : '';
    lines.push(`  ${r.instance.padEnd(28)} ${String(r.count).padStart(10)} ${share.padStart(7)}  ${r.goal.padEnd(10)} ${verdict}`.trimEnd());
  }
  lines.push('');
  for (const t of thresholds) {
    lines.push(`  ${t.ok ? 'pass' : 'FAIL'}  ${t.name} ${t.expr}`);
  }
  for (const note of notes) {
    lines.push(`  ${note}`);
  }
  lines.push('', `verdict: ${passed ? 'PASS' : 'FAIL'}    reports: ${files.join(', ')}`, '');
  return lines.join('\n');
}

/** A self-contained HTML page with an SVG bar chart of the per-instance shares; red: below its threshold. */
export function reportHtml(
  /** @type {string} */ name, /** @type {string} */ target, /** @type {Row[]} */ rows, /** @type {number} */ total,
  /** @type {boolean} */ passed, /** @type {string[]} */ notes) {
  const width = 640;
  const barHeight = 28;
  const labelWidth = 190;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const bars = rows.map((r, i) => {
    const y = 10 + i * (barHeight + 10);
    const w = Math.round(((width - labelWidth - 120) * r.count) / max);
    return `<text x="0" y="${y + 19}" font-size="14">${escapeHtml(r.instance)}</text>`
      + `<rect x="${labelWidth}" y="${y}" width="${Math.max(w, 1)}" height="${barHeight}" fill="${r.ok ? '#3b82f6' : '#dc2626'}"/>`
      + `<text x="${labelWidth + w + 8}" y="${y + 19}" font-size="14">${r.count} (${percent(r.count, total)} %)</text>`;
  }).join('\n    ');
  const height = 20 + rows.length * (barHeight + 10);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(name)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}svg text{font-family:inherit}</style></head>
<body>
<h1>${escapeHtml(name)}: ${passed ? 'PASS' : 'FAIL'}</h1>
<p>${total} page loads through ${escapeHtml(target)}. Red: an instance below its threshold.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="page loads per instance">
    ${bars}
</svg>
<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
${TIMELINE_START}
<p>No timeline: this run wrote no CSV. <code>k6/run.sh ${escapeHtml(name)}</code> (or <code>k6/failover.sh</code>) draws one
here; see k6/README.md.</p>
${TIMELINE_END}
</body></html>
`;
}

/**
 * Everything a script's handleSummary returns: the table on stdout, and OUT_DIR/<name>.json (k6's
 * whole summary) and OUT_DIR/<name>.html (the chart). `notes` are extra lines for both (e.g. the
 * exactly-once figures).
 */
export function summaryFiles(
  /** @type {string} */ name, /** @type {Summary} */ data, /** @type {string[]} */ instances,
  /** @type {{target: string, outDir: string}} */ where, /** @type {string[]} */ notes = []) {
  const { rows, total } = instanceRows(data, instances);
  const thresholds = thresholdResults(data);
  const json = `${where.outDir}/${name}.json`;
  const html = `${where.outDir}/${name}.html`;
  return {
    stdout: reportText(name, where.target, rows, total, thresholds, notes, [json, html]),
    [json]: JSON.stringify(data, null, 2),
    [html]: reportHtml(name, where.target, rows, total, thresholds.every((t) => t.ok), notes),
  };
}
