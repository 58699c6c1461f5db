// A finished k6 run drawn over time: k6's CSV of every sample in, an SVG section for the run's HTML
// report out. Pure logic (no file or k6 access): k6/timeline.js feeds it, test/timeline.test.js too.
import { TIMELINE_END, TIMELINE_START, escapeHtml } from './report.js';

/**
 * @typedef {{ at: number, what: string }} Event  a driver's action: unix ms, e.g. "kill hits-2"
 * @typedef {{ loads: {at: number, instance: string}[], failures: {at: number, status: string}[],
 *             first: number, last: number, step: number }} Samples
 */

/** The CSV columns the timeline reads; k6 v1.x writes each of them. */
export const COLUMNS = Object.freeze(['metric_name', 'timestamp', 'expected_response', 'status', 'extra_tags']);

/** A CSV timestamp in ms: unix_milli, k6's default unix seconds, or RFC 3339. */
export function millis(/** @type {string} */ text) {
  const n = Number(text);
  if (text.trim() !== '' && Number.isFinite(n)) {
    return n < 1e11 ? n * 1000 : n;
  }
  return Date.parse(text);
}

/** The events file's lines as {at, what}: "<unix ms> <what>" each; any other line is an error naming `path`. */
export function parseEvents(/** @type {string} */ text, /** @type {string} */ path) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const m = /^(\d+)\s+(.+)$/.exec(line);
    if (!m) {
      throw new Error(`${path}: expected '<unix ms> <what>' on each line, got '${line}'`);
    }
    return { at: millis(m[1]), what: m[2] };
  });
}

/**
 * Collects the samples the timeline draws from k6's CSV rows, one `add` a row after the header:
 * page loads per instance (the lb_hits counter's instance tag) and failed requests (http_reqs rows
 * whose expected_response is false), each with its time in ms.
 */
export class SampleReader {
  constructor(/** @type {string[]} */ header) {
    /** @type {Record<string, number>} */
    this.col = Object.fromEntries(header.map((h, i) => [h, i]));
    const missing = COLUMNS.filter((c) => this.col[c] === undefined);
    if (missing.length > 0) {
      throw new Error(`no '${missing.join("', '")}' column: not k6's CSV output?`);
    }
    /** @type {Samples} */
    this.samples = { loads: [], failures: [], first: Infinity, last: -Infinity, step: 0.1 };
    this.rows = 0;
  }

  add(/** @type {string[]} */ row) {
    const s = this.samples;
    const stamp = row[this.col.timestamp];
    const at = millis(stamp);
    if (!Number.isFinite(at)) {
      throw new Error(`row ${this.rows + 2}: timestamp '${stamp}' is not unix seconds, unix ms or RFC 3339`);
    }
    if (this.rows === 0) {
      // The finest step worth drawing, in s: whole seconds when the CSV has no finer times.
      s.step = /^\d+$/.test(stamp) && Number(stamp) < 1e11 ? 1 : 0.1;
    }
    this.rows += 1;
    s.first = Math.min(s.first, at);
    s.last = Math.max(s.last, at);
    const metric = row[this.col.metric_name];
    if (metric === 'lb_hits') {
      const tag = (row[this.col.extra_tags] || '').split('&').find((t) => t.startsWith('instance='));
      s.loads.push({ at, instance: tag ? tag.slice('instance='.length) : '?' });
    } else if (metric === 'http_reqs' && row[this.col.expected_response] === 'false') {
      s.failures.push({ at, status: row[this.col.status] || '0' });
    }
  }
}

/** The smallest step from 1, 2, 2.5, 5 times a power of ten that cuts `range` into at most `parts`. */
export function niceStep(/** @type {number} */ range, /** @type {number} */ parts) {
  const power = 10 ** Math.floor(Math.log10(Math.max(range, 1e-9) / parts));
  return /** @type {number} */ ([1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => range / s <= parts));
}

function fmt(/** @type {number} */ n) {
  return String(Math.round(n * 100) / 100);
}

/** Line colours, one an instance; not red: red is for failed requests. */
export const COLOURS = Object.freeze(['#2563eb', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563']);
export const FAILED_COLOUR = '#dc2626';

/**
 * The SVG: x seconds since the first sample, y page loads a second, a line per instance (every
 * expected one, even one that never answered), red bars for failed requests, dashed lines for events.
 */
export function timelineSvg(/** @type {Samples} */ samples, /** @type {Event[]} */ events, /** @type {string[]} */ instances) {
  const { loads, failures, first, last, step } = samples;
  const seconds = Math.max((last - first) / 1000, 0.1);
  // Steps of at least 0.1 s: a finer one holds a handful of page loads, and the lines turn to noise.
  const bucket = Math.max(step, niceStep(seconds, 60));
  // The last step takes the remainder (half to one and a half steps): a sliver of a step would
  // show the run's end as traffic dropping to nothing.
  const buckets = Math.max(1, Math.round(seconds / bucket));
  const from = (/** @type {number} */ i) => i * bucket;
  const to = (/** @type {number} */ i) => (i === buckets - 1 ? seconds : (i + 1) * bucket);
  const rate = (/** @type {number} */ count, /** @type {number} */ i) => count / (to(i) - from(i));
  const index = (/** @type {number} */ at) => Math.min(buckets - 1, Math.floor((at - first) / 1000 / bucket));
  // Page loads with a status beside the name ("hits-2 (503)") are failures: drawn as those.
  const names = [...new Set([...instances, ...loads.map((l) => l.instance)])].filter((n) => !n.includes(' ('));
  /** @type {Record<string, number[]>} */
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
  const peak = Math.max(1, ...[...Object.values(series), failed].flatMap((counts) => counts.map(rate)));
  const yStep = niceStep(peak, 5);
  const yMax = Math.ceil(peak / yStep) * yStep;
  const x = (/** @type {number} */ s) => left + ((width - left - right) * s) / seconds;
  const y = (/** @type {number} */ perSecond) => bottom - (plotHeight * perSecond) / yMax;
  const parts = [];

  const xStep = niceStep(seconds, 10);
  for (let s = 0; s <= seconds + 1e-9; s += xStep) {
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
        + `height="${fmt(h)}" fill="${FAILED_COLOUR}"><title>${count} failed</title></rect>`
        + `<text x="${fmt(x((from(i) + to(i)) / 2))}" y="${fmt(bottom - h - 3)}" font-size="10" text-anchor="middle" fill="${FAILED_COLOUR}">${count}</text>`);
    }
  });
  names.forEach((n, k) => {
    const points = series[n].map((count, i) => `${fmt(x((from(i) + to(i)) / 2))},${fmt(y(rate(count, i)))}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="1.5"/>`);
  });
  events.forEach((e, k) => {
    const s = (e.at - first) / 1000;
    if (s >= 0 && s <= seconds) {
      parts.push(`<line x1="${fmt(x(s))}" y1="${top - 4}" x2="${fmt(x(s))}" y2="${bottom}" stroke="#111" stroke-dasharray="5,4"/>`
        + `<text x="${fmt(x(s) + 4)}" y="${12 + (k % 2) * 13}" font-size="12">${escapeHtml(e.what)}</text>`);
    }
  });

  /** @type {{colour: string, label: string, bar: boolean}[]} */
  const legend = names.map((n, k) => ({
    colour: COLOURS[k % COLOURS.length],
    label: `${n} (${series[n].reduce((a, b) => a + b, 0)})`,
    bar: false,
  }));
  legend.push({ colour: FAILED_COLOUR, label: `failed requests (${failures.length})`, bar: true });
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

/**
 * The report page with its timeline drawn in (the part between TIMELINE_START and TIMELINE_END
 * replaced), and one line saying what was drawn. `html` must hold that placeholder.
 */
export function drawInto(
  /** @type {string} */ html, /** @type {Samples} */ samples, /** @type {Event[]} */ events, /** @type {string[]} */ instances) {
  const start = html.indexOf(TIMELINE_START);
  const endAt = html.indexOf(TIMELINE_END);
  if (start < 0 || endAt < start) {
    throw new Error('no timeline placeholder: not a report of k6/lib/report.js');
  }
  if (samples.first === Infinity) {
    throw new Error('no samples: did the run start?');
  }
  const { svg, seconds, bucket, totals } = timelineSvg(samples, events, instances);
  /** @type {Record<string, number>} */
  const statuses = {};
  for (const f of samples.failures) {
    statuses[f.status] = (statuses[f.status] || 0) + 1;
  }
  const failedBy = Object.entries(statuses).map(([s, n]) => `${n} with status ${s}`).join(', ');
  const at = (/** @type {Event} */ e) => `${fmt((e.at - samples.first) / 1000)} s`;
  const section = `${TIMELINE_START}
<h2>Over time</h2>
<p>${fmt(seconds)} s from the run's first sample (${new Date(samples.first).toISOString()}), in ${bucket} s steps: page loads a
second per instance. Red bars: failed requests${failedBy ? ` (${escapeHtml(failedBy)})` : ' (none)'}.${events.length
    ? ' Dashed: what the driver did.' : ''}</p>
${svg}
${events.length ? `<ul>${events.map((e) => `<li>${at(e)}: ${escapeHtml(e.what)}</li>`).join('')}</ul>\n` : ''}${TIMELINE_END}`;
  const line = `timeline: ${fmt(seconds)} s, ${totals.join(', ')}`
    + `${events.length ? `; ${events.map((e) => `${e.what} at ${at(e)}`).join(', ')}` : ''}`;
  return { html: html.slice(0, start) + section + html.slice(endAt + TIMELINE_END.length), line };
}
