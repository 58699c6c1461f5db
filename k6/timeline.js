#!/usr/bin/env node
/*
 * timeline.js: a finished k6 run drawn over time, into that run's HTML report. A Node script (>= 18),
 * not a k6 one: it needs no k6, so CI tests it on a committed sample.
 *
 * k6's end-of-test summary has no time series, so the run writes every sample to a CSV, and this
 * script reads it back: page loads a second per instance (one line each), failed requests (red bars,
 * with their count) and, when the driver wrote them, its actions (dashed lines: k6/failover.sh's
 * "kill hits-2" and "start hits-2"). The SVG replaces the timeline placeholder in
 * OUT_DIR/<REPORT>.html, beside the bar chart: one self-contained page per run.
 *
 *   k6 run --out csv=fileName=k6/out/distribution.csv,timeFormat=unix_milli k6/distribution.js
 *   node k6/timeline.js distribution
 * k6/run.sh distribution does both; k6/failover.sh does both and writes the events.
 *   reads:  OUT_DIR/<REPORT>.csv, OUT_DIR/<REPORT>.html, and OUT_DIR/<REPORT>.events if present
 *           (one action a line: "<unix ms> <what>", e.g. "1795464136346 kill hits-2")
 *   args:   REPORT (distribution, affinity or failover; or the REPORT variable)
 *   env:    OUT_DIR (k6/out), INSTANCES (hits-1,hits-2,hits-3: each gets a line, even one that never answered)
 * Needs csv-parse: `npm ci --prefix k6 --omit=dev` once (k6/run.sh does it for you).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';
import { expectedInstances } from './lib/options.js';
import { SampleReader, drawInto, parseEvents } from './lib/timeline.js';

const REPORTS = ['distribution', 'affinity', 'failover'];

/** Reads the run's CSV, report and events under `outDir`, and writes the report with its timeline. */
export async function drawTimeline(/** @type {string} */ name, /** @type {string} */ outDir, /** @type {string[]} */ instances) {
  if (!REPORTS.includes(name)) {
    throw new Error(`REPORT must name the run to draw, one of ${REPORTS.join(', ')}; got '${name}' (node k6/timeline.js failover)`);
  }
  const csvPath = `${outDir}/${name}.csv`;
  const htmlPath = `${outDir}/${name}.html`;
  const eventsPath = `${outDir}/${name}.events`;
  const howTo = `${name === 'failover' ? 'k6/failover.sh stack (or compose)' : `k6/run.sh ${name}`}, `
    + `or k6 run --out csv=fileName=${csvPath},timeFormat=unix_milli k6/${name}.js`;
  const html = readOrExplain(htmlPath, `the run writes it: ${howTo}`);
  const eventsText = readOrExplain(eventsPath, null);
  const events = parseEvents(eventsText, eventsPath);

  /** @type {SampleReader | null} */
  let reader = null;
  try {
    // Streamed: a 20 s run at 400 page loads a second is 120,000 rows.
    // Opened first: a stream piped into the parser would not hand on a missing file's error.
    const csv = await open(csvPath);
    for await (const row of csv.createReadStream().pipe(parse({ relax_column_count: true }))) {
      if (reader === null) {
        reader = new SampleReader(row);
      } else {
        reader.add(row);
      }
    }
  } catch (e) {
    throw new Error(e.code === 'ENOENT' ? `${csvPath} not found: the run writes it: ${howTo}` : `${csvPath}: ${e.message}; ${howTo}`);
  }
  if (reader === null) {
    throw new Error(`${csvPath} is empty: did the run start? ${howTo}`);
  }
  let drawn;
  try {
    drawn = drawInto(html, reader.samples, events, instances);
  } catch (e) {
    throw new Error(`${e.message.startsWith('no samples') ? csvPath : htmlPath}: ${e.message} ${howTo}`);
  }
  writeFileSync(htmlPath, drawn.html);
  return `${drawn.line}    drawn into ${htmlPath}`;
}

/** A file's text; when it is missing, an error saying how to make it, or '' when `explain` is null. */
function readOrExplain(/** @type {string} */ path, /** @type {string | null} */ explain) {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT' && explain === null) {
      return '';
    }
    throw new Error(e.code === 'ENOENT' ? `${path} not found: ${explain}` : `${path}: ${e.message}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const outDir = (process.env.OUT_DIR || 'k6/out').replace(/\/+$/, '');
    console.log(await drawTimeline(process.argv[2] || process.env.REPORT || '', outDir, expectedInstances(process.env)));
  } catch (e) {
    console.error(`timeline.js: ${e.message}`);
    process.exit(1);
  }
}
