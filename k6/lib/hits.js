// What the k6 scripts share: the target, one counted page load, per-instance counters, a fail-fast
// check of the target, and the end-of-test report (a table with a verdict, JSON, and an HTML bar chart).
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';

export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:8080').replace(/\/+$/, '');
// Reports go here: k6/out locally (run from the repository's root), /out in compose.
export const OUT_DIR = (__ENV.OUT_DIR || 'k6/out').replace(/\/+$/, '');

/** The instances that must get traffic, e.g. INSTANCES=hits-1,hits-2,hits-3 (the default). */
export function expectedInstances() {
  const list = (__ENV.INSTANCES || 'hits-1,hits-2,hits-3').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) {
    throw new Error('INSTANCES must name at least one instance, e.g. INSTANCES=hits-1,hits-2,hits-3');
  }
  return list;
}

/** A positive whole number from the environment, or a clear error naming the variable. */
export function intEnv(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number >= 1, got '${raw}'`);
  }
  return value;
}

/**
 * Latency limits every script enforces beside its own: p95 and p99 of every request, in ms
 * (P95_MS, P99_MS). Generous by default (a cold replica, a busy laptop): a replica that hangs until
 * nginx's proxy_read_timeout (2 s) or a balancer that keeps retrying breaks them.
 */
export function latencyThresholds() {
  return { http_req_duration: [`p(95)<${intEnv('P95_MS', 1000)}`, `p(99)<${intEnv('P99_MS', 2000)}`] };
}

/** Page loads answered, tagged with the instance that answered (X-Instance-Id). */
export const served = new Counter('lb_hits');

/**
 * One page load: GET / as JSON. Counts it for the instance that answered and returns
 * {status, instance, hits}; instance and hits are null when the answer was not a page load.
 */
export function pageLoad(params = {}) {
  const res = http.get(`${BASE_URL}/`, Object.assign({ headers: {} }, params, {
    headers: Object.assign({ Accept: 'application/json' }, params.headers || {}),
    tags: { name: 'GET /' },
  }));
  const instance = res.headers['X-Instance-Id'] || null;
  let hits = null;
  if (res.status === 200) {
    try {
      hits = res.json('hits');
    } catch (e) {
      hits = null;
    }
  }
  if (instance !== null) {
    served.add(1, { instance: res.status === 200 ? instance : `${instance} (${res.status})` });
  }
  return { status: res.status, instance, hits };
}

/** The current total from GET /api/hits; aborts the test when the target does not answer. */
export function currentTotal() {
  const res = http.get(`${BASE_URL}/api/hits`, { headers: { Accept: 'application/json' }, timeout: '3s', tags: { name: 'GET /api/hits' } });
  if (res.status !== 200) {
    exec.test.abort(`${BASE_URL}/api/hits answered ${res.status || res.error}: is the stack up? `
      + '(./stack up, or docker compose up --wait; BASE_URL sets the target)');
  }
  return res.json('hits');
}

/**
 * Thresholds that fail the run when any expected instance got fewer than `minimum[instance]` page
 * loads. k6 only keeps a tagged sub-metric that a threshold names, and an instance that got nothing
 * has no sample at all: so every expected instance gets its own threshold, and a dead one fails.
 * A minimum of 0 only keeps the count for the report (affinity, failover).
 */
export function perInstanceThresholds(minimum) {
  const thresholds = {};
  for (const [instance, min] of Object.entries(minimum)) {
    thresholds[`lb_hits{instance:${instance}}`] = [`count>=${min}`];
  }
  return thresholds;
}

/** Thresholds that only keep each instance's count for the report (affinity, failover). */
export function countsFor(instances) {
  return perInstanceThresholds(Object.fromEntries(instances.map((instance) => [instance, 0])));
}

/** Per-instance counts from the summary data, expected instances first, then any other that answered. */
function instanceRows(data, instances) {
  const rows = instances.map((instance) => {
    const metric = data.metrics[`lb_hits{instance:${instance}}`];
    const thresholds = metric && metric.thresholds
      ? Object.entries(metric.thresholds).filter(([expr]) => expr !== 'count>=0') : [];
    return {
      instance,
      count: metric ? metric.values.count : 0,
      goal: thresholds.map(([expr]) => expr.replace('count', '')).join(' ') || '',
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

/** Every threshold of the run, with whether it held. */
function thresholdResults(data) {
  const results = [];
  for (const [name, metric] of Object.entries(data.metrics)) {
    for (const [expr, t] of Object.entries(metric.thresholds || {})) {
      if (expr !== 'count>=0') {
        results.push({ name, expr, ok: t.ok });
      }
    }
  }
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

function pad(text, width) {
  const s = String(text);
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

function padLeft(text, width) {
  const s = String(text);
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

export function escapeHtml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Where k6/timeline.js puts the run's timeline in the page: everything between these two lines. */
export const TIMELINE_START = '<!-- timeline: k6/timeline.js replaces this part -->';
export const TIMELINE_END = '<!-- /timeline -->';

/** A self-contained HTML page with an SVG bar chart of the per-instance shares. */
function chart(title, rows, total, passed, notes) {
  const width = 640;
  const barHeight = 28;
  const labelWidth = 190;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const bars = rows.map((r, i) => {
    const y = 10 + i * (barHeight + 10);
    const w = Math.round(((width - labelWidth - 120) * r.count) / max);
    const share = total ? ((100 * r.count) / total).toFixed(1) : '0.0';
    const color = r.ok ? '#3b82f6' : '#dc2626';
    return `<text x="0" y="${y + 19}" font-size="14">${escapeHtml(r.instance)}</text>`
      + `<rect x="${labelWidth}" y="${y}" width="${Math.max(w, 1)}" height="${barHeight}" fill="${color}"/>`
      + `<text x="${labelWidth + w + 8}" y="${y + 19}" font-size="14">${r.count} (${share} %)</text>`;
  }).join('\n    ');
  const height = 20 + rows.length * (barHeight + 10);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}svg text{font-family:inherit}</style></head>
<body>
<h1>${escapeHtml(title)}: ${passed ? 'PASS' : 'FAIL'}</h1>
<p>${total} page loads through ${escapeHtml(BASE_URL)}. Red: an instance below its threshold.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="page loads per instance">
  ${bars}
</svg>
<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
${TIMELINE_START}
<p>No timeline: this run wrote no CSV. <code>k6/run.sh ${escapeHtml(title)}</code> (or <code>k6/failover.sh</code>) draws one
here; see k6/README.md.</p>
${TIMELINE_END}
</body></html>
`;
}

/**
 * handleSummary for every script: prints a per-instance table and every threshold with a verdict,
 * and writes OUT_DIR/<name>.json (k6's whole summary) and OUT_DIR/<name>.html (the chart).
 * `notes` are extra lines (e.g. the exactly-once figures) for the table and the chart.
 */
export function report(name, data, instances, notes = []) {
  const { rows, total } = instanceRows(data, instances);
  const thresholds = thresholdResults(data);
  const passed = thresholds.every((t) => t.ok);
  const lines = [];
  lines.push('');
  lines.push(`${name}: ${total} page loads through ${BASE_URL}`);
  lines.push('');
  lines.push(`  ${pad('instance', 28)} ${padLeft('page loads', 10)} ${padLeft('share', 7)}  ${pad('threshold', 10)} verdict`);
  for (const r of rows) {
    const share = total ? `${((100 * r.count) / total).toFixed(1)} %` : '-';
    lines.push(`  ${pad(r.instance, 28)} ${padLeft(r.count, 10)} ${padLeft(share, 7)}  ${pad(r.goal, 10)} ${r.goal ? (r.ok ? 'pass' : 'FAIL: starved') : ''}`);
  }
  lines.push('');
  for (const t of thresholds) {
    lines.push(`  ${t.ok ? 'pass' : 'FAIL'}  ${t.name} ${t.expr}`);
  }
  for (const note of notes) {
    lines.push(`  ${note}`);
  }
  lines.push('');
  lines.push(`verdict: ${passed ? 'PASS' : 'FAIL'}    reports: ${OUT_DIR}/${name}.json, ${OUT_DIR}/${name}.html`);
  lines.push('');
  return {
    stdout: lines.join('\n'),
    [`${OUT_DIR}/${name}.json`]: JSON.stringify(data, null, 2),
    [`${OUT_DIR}/${name}.html`]: chart(name, rows, total, passed, notes),
  };
}
