/*
 * timeline.js: a finished run drawn over time, into that run's HTML report.
 *
 * k6's end-of-test summary has no time series, so the run writes every sample to a CSV, and this
 * script (1 VU, 1 iteration, no requests) reads it back: page loads a second per instance (one line
 * each), failed requests (red bars, with their count) and, when the driver wrote them, its actions
 * (dashed lines: k6/failover.sh's "kill hits-2" and "start hits-2"). The SVG replaces the timeline
 * placeholder in OUT_DIR/<REPORT>.html, beside the bar chart: one self-contained page per run.
 *
 *   k6 run --out csv=fileName=k6/out/distribution.csv,timeFormat=unix_milli k6/distribution.js
 *   k6 run -q -e REPORT=distribution k6/timeline.js
 * k6/run.sh distribution does both; k6/failover.sh does both and writes the events.
 *   reads:  OUT_DIR/<REPORT>.csv, OUT_DIR/<REPORT>.html, and OUT_DIR/<REPORT>.events if present
 *           (one action a line: "<unix ms> <what>", e.g. "1795464136346 kill hits-2")
 *   env:    REPORT (distribution, affinity or failover), OUT_DIR (k6/out; compose: /out),
 *           INSTANCES (hits-1,hits-2,hits-3: each gets a line, even one that never answered)
 */
import csv from 'k6/experimental/csv';
import { open as openFile } from 'k6/experimental/fs';
import { OUT_DIR, TIMELINE_END, TIMELINE_START, escapeHtml, expectedInstances } from './lib/hits.js';

const REPORTS = ['distribution', 'affinity', 'failover'];
const name = __ENV.REPORT || '';
if (!REPORTS.includes(name)) {
  throw new Error(`REPORT must name the run to draw, one of ${REPORTS.join(', ')}; got '${name}' `
    + '(k6 run -q -e REPORT=failover k6/timeline.js)');
}
const csvPath = `${OUT_DIR}/${name}.csv`;
const htmlPath = `${OUT_DIR}/${name}.html`;
const eventsPath = `${OUT_DIR}/${name}.events`;
const howTo = `${name === 'failover' ? 'k6/failover.sh stack (or compose)' : `k6/run.sh ${name}`}, `
  + `or k6 run --out csv=fileName=${csvPath},timeFormat=unix_milli k6/${name}.js`;

// handleSummary writes relative to the working directory, but open() reads relative to this file:
// read through the working directory too (PWD; else the repository's root, OUT_DIR's premise).
function readable(path) {
  if (/^([A-Za-z]:)?[\\/]/.test(path)) {
    return path;
  }
  return __ENV.PWD ? `${__ENV.PWD}/${path}` : `../${path}`;
}

async function openOrExplain(path, explain) {
  try {
    return await openFile(readable(path));
  } catch (e) {
    throw new Error(e.name === 'NotFoundError' ? `${path} not found: ${explain}` : `${path}: ${e}`);
  }
}

// Streamed (about 1 s for 120,000 rows); csv.parse would hold every row at once and take twice as long.
// Bad input stops the script here, in the init context, with an error exit: k6 only logs what goes
// wrong in handleSummary, and exits 0. So the header and the first sample are read here too.
const samples = new csv.Parser(await openOrExplain(csvPath, `the run writes it: ${howTo}`), { delimiter: ',' });
const col = Object.fromEntries(((await samples.next()).value || []).map((h, i) => [h, i]));
for (const c of ['metric_name', 'timestamp', 'expected_response', 'status', 'extra_tags']) {
  if (col[c] === undefined) {
    throw new Error(`${csvPath} has no '${c}' column: not k6's CSV output? ${howTo}`);
  }
}
const firstSample = await samples.next();
if (firstSample.done) {
  throw new Error(`${csvPath} holds no samples: did the run start? ${howTo}`);
}
let html;
try {
  html = open(readable(htmlPath));
} catch (e) {
  throw new Error(`${htmlPath} not found: the run writes it: ${howTo}`);
}
if (!html.includes(TIMELINE_START) || !html.includes(TIMELINE_END)) {
  throw new Error(`${htmlPath} has no timeline placeholder: not a report of k6/lib/hits.js; run it again: ${howTo}`);
}
let eventsText = '';
try {
  eventsText = open(readable(eventsPath));
} catch (e) {
  // no driver, no events
}
const events = parseEvents(eventsText);

export const options = { scenarios: { timeline: { executor: 'shared-iterations', vus: 1, iterations: 1 } } };

export default function () {}

/** A CSV timestamp in ms: unix_milli, k6's default unix seconds, or RFC 3339. */
function millis(text) {
  const n = Number(text);
  if (Number.isFinite(n)) {
    return n < 1e11 ? n * 1000 : n;
  }
  return Date.parse(text);
}

/** The events file's lines as {at, what}; a line not "<unix ms> <what>" stops the script. */
function parseEvents(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const m = /^(\d+)\s+(.+)$/.exec(line);
    if (!m) {
      throw new Error(`${eventsPath}: expected '<unix ms> <what>' on each line, got '${line}'`);
    }
    return { at: millis(m[1]), what: m[2] };
  });
}

/** Reads every sample: page loads per instance and failed requests, each with its time in ms. */
async function readSamples() {
  const loads = []; // {at, instance}
  const failures = []; // {at, status}
  const stamp = firstSample.value[col.timestamp];
  // The finest step worth drawing, in s; whole seconds when the CSV has no finer times.
  const step = /^\d+$/.test(stamp) && Number(stamp) < 1e11 ? 1 : 0.1;
  let first = Infinity;
  let last = -Infinity;
  for (let sample = firstSample; !sample.done; sample = await samples.next()) {
    const row = sample.value;
    const at = millis(row[col.timestamp]);
    first = Math.min(first, at);
    last = Math.max(last, at);
    if (row[col.metric_name] === 'lb_hits') {
      const tag = row[col.extra_tags].split('&').find((t) => t.startsWith('instance='));
      loads.push({ at, instance: tag ? tag.slice('instance='.length) : '?' });
    } else if (row[col.metric_name] === 'http_reqs' && row[col.expected_response] === 'false') {
      failures.push({ at, status: row[col.status] || '0' });
    }
  }
  return { loads, failures, first, last, step };
}

/** The smallest step from 1, 2, 2.5, 5 times a power of ten that cuts `range` into at most `parts`. */
function niceStep(range, parts) {
  const power = 10 ** Math.floor(Math.log10(Math.max(range, 1e-9) / parts));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => range / s <= parts);
}

function fmt(n) {
  return String(Math.round(n * 100) / 100);
}

// Not red: red is for failed requests.
const COLOURS = ['#2563eb', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

/** The SVG: x seconds since the first sample, y page loads a second, a line per instance. */
function timelineSvg({ loads, failures, first, last, step }, events) {
  const seconds = Math.max((last - first) / 1000, 0.1);
  // Steps of at least 0.1 s: a finer one holds a handful of page loads, and the lines turn to noise.
  const bucket = Math.max(step, niceStep(seconds, 60));
  // The last step takes the remainder (half to one and a half steps): a sliver of a step would
  // show the run's end as traffic dropping to nothing.
  const buckets = Math.max(1, Math.round(seconds / bucket));
  const from = (i) => i * bucket;
  const to = (i) => (i === buckets - 1 ? seconds : (i + 1) * bucket);
  const rate = (count, i) => count / (to(i) - from(i));
  const index = (at) => Math.min(buckets - 1, Math.floor((at - first) / 1000 / bucket));
  // Page loads with a status beside the name ("hits-2 (503)") are failures: drawn as those.
  const names = [...new Set([...expectedInstances(), ...loads.map((l) => l.instance)])]
    .filter((n) => !n.includes(' ('));
  const series = Object.fromEntries(names.map((n) => [n, new Array(buckets).fill(0)]));
  for (const l of loads) {
    if (series[l.instance]) {
      series[l.instance][index(l.at)] += 1;
    }
  }
  const failed = new Array(buckets).fill(0);
  for (const f of failures) {
    failed[index(f.at)] += 1;
  }

  const width = 760;
  const left = 56;
  const right = 16;
  const top = 34;
  const plotHeight = 220;
  const bottom = top + plotHeight;
  const xMax = seconds;
  const peak = Math.max(1, ...[...Object.values(series), failed].flatMap((counts) => counts.map(rate)));
  const yStep = niceStep(peak, 5);
  const yMax = Math.ceil(peak / yStep) * yStep;
  const x = (s) => left + ((width - left - right) * s) / xMax;
  const y = (perSecond) => bottom - (plotHeight * perSecond) / yMax;
  const parts = [];

  const xStep = niceStep(xMax, 10);
  for (let s = 0; s <= xMax + 1e-9; s += xStep) {
    parts.push(`<line x1="${fmt(x(s))}" y1="${top}" x2="${fmt(x(s))}" y2="${bottom}" stroke="#e5e7eb"/>`
      + `<text x="${fmt(x(s))}" y="${bottom + 16}" font-size="11" text-anchor="middle">${fmt(s)}</text>`);
  }
  for (let r = 0; r <= yMax + 1e-9; r += yStep) {
    parts.push(`<line x1="${left}" y1="${fmt(y(r))}" x2="${width - right}" y2="${fmt(y(r))}" stroke="#e5e7eb"/>`
      + `<text x="${left - 6}" y="${fmt(y(r) + 4)}" font-size="11" text-anchor="end">${fmt(r)}</text>`);
  }
  parts.push(`<text x="${fmt((left + width - right) / 2)}" y="${bottom + 32}" font-size="12" text-anchor="middle">`
    + `seconds since the run's first sample (${bucket} s steps)</text>`);
  parts.push(`<text x="14" y="${fmt(top + plotHeight / 2)}" font-size="12" text-anchor="middle" `
    + `transform="rotate(-90 14 ${fmt(top + plotHeight / 2)})">page loads a second</text>`);

  failed.forEach((count, i) => {
    if (count > 0) {
      const h = Math.max(3, bottom - y(rate(count, i)));
      parts.push(`<rect x="${fmt(x(from(i)))}" y="${fmt(bottom - h)}" width="${fmt(Math.max(2, x(to(i)) - x(from(i)) - 1))}" `
        + `height="${fmt(h)}" fill="#dc2626"><title>${count} failed</title></rect>`
        + `<text x="${fmt(x((from(i) + to(i)) / 2))}" y="${fmt(bottom - h - 3)}" font-size="10" text-anchor="middle" fill="#dc2626">${count}</text>`);
    }
  });
  names.forEach((n, k) => {
    const points = series[n].map((count, i) => `${fmt(x((from(i) + to(i)) / 2))},${fmt(y(rate(count, i)))}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="1.5"/>`);
  });
  events.forEach((e, k) => {
    const s = (e.at - first) / 1000;
    if (s >= 0 && s <= xMax) {
      parts.push(`<line x1="${fmt(x(s))}" y1="${top - 4}" x2="${fmt(x(s))}" y2="${bottom}" stroke="#111" stroke-dasharray="5,4"/>`
        + `<text x="${fmt(x(s) + 4)}" y="${12 + (k % 2) * 13}" font-size="12">${escapeHtml(e.what)}</text>`);
    }
  });

  const legend = names.map((n, k) => ({
    colour: COLOURS[k % COLOURS.length],
    label: `${n} (${series[n].reduce((a, b) => a + b, 0)})`,
  }));
  legend.push({ colour: '#dc2626', label: `failed requests (${failures.length})`, bar: true });
  let lx = left;
  const ly = bottom + 54;
  for (const item of legend) {
    parts.push(item.bar
      ? `<rect x="${lx}" y="${ly - 9}" width="14" height="10" fill="${item.colour}"/>`
      : `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 14}" y2="${ly - 4}" stroke="${item.colour}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 19}" y="${ly}" font-size="12">${escapeHtml(item.label)}</text>`);
    lx += 19 + 7 * item.label.length + 18;
  }

  const height = ly + 10;
  return {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" `
      + `aria-label="page loads a second per instance over the run">\n  ${parts.join('\n  ')}\n</svg>`,
    seconds,
    bucket,
    totals: legend.map((l) => l.label),
  };
}

/** Writes the timeline into the run's HTML report, and prints one line saying so. */
export async function handleSummary() {
  const run = await readSamples();
  const { svg, seconds, bucket, totals } = timelineSvg(run, events);
  const statuses = {};
  for (const f of run.failures) {
    statuses[f.status] = (statuses[f.status] || 0) + 1;
  }
  const failedBy = Object.entries(statuses).map(([s, n]) => `${n} with status ${s}`).join(', ');
  const at = (e) => `${fmt((e.at - run.first) / 1000)} s`;
  const section = `${TIMELINE_START}
<h2>Over time</h2>
<p>${fmt(seconds)} s from the run's first sample (${new Date(run.first).toISOString()}), in ${bucket} s steps: page loads a
second per instance. Red bars: failed requests${failedBy ? ` (${escapeHtml(failedBy)})` : ' (none)'}.${events.length
    ? ' Dashed: what the driver did.' : ''}</p>
${svg}
${events.length ? `<ul>${events.map((e) => `<li>${at(e)}: ${escapeHtml(e.what)}</li>`).join('')}</ul>\n` : ''}${TIMELINE_END}`;
  const start = html.indexOf(TIMELINE_START);
  const end = html.indexOf(TIMELINE_END) + TIMELINE_END.length;
  const line = `timeline: ${fmt(seconds)} s, ${totals.join(', ')}`
    + `${events.length ? `; ${events.map((e) => `${e.what} at ${at(e)}`).join(', ')}` : ''}    drawn into ${htmlPath}\n`;
  return {
    stdout: line,
    [htmlPath]: html.slice(0, start) + section + html.slice(end),
  };
}
