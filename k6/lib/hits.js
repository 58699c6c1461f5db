// What the k6 scripts share that needs k6 itself: the target, one counted page load, the per-instance
// counter, the fail-fast check of the target, and handleSummary's report. The pure logic they share
// (environment, thresholds, the report's table and chart) lives in options.js and report.js, which the
// Node tests import too.
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { summaryFiles } from './report.js';

export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:8080').replace(/\/+$/, '');
// Reports go here: k6/out locally (run from the repository's root), /out in compose.
export const OUT_DIR = (__ENV.OUT_DIR || 'k6/out').replace(/\/+$/, '');

/** Page loads answered, tagged with the instance that answered (X-Instance-Id). */
export const served = new Counter('lb_hits');

/**
 * One page load: GET / as JSON. Counts it for the instance that answered and returns
 * {status, instance, hits}; instance and hits are null when the answer was not a page load.
 * @param {{ headers?: Record<string, string> }} [params] extra request headers (affinity.js's client key)
 */
export function pageLoad(params = {}) {
  const res = http.get(`${BASE_URL}/`, {
    headers: Object.assign({ Accept: 'application/json' }, params.headers || {}),
    tags: { name: 'GET /' },
  });
  const instance = res.headers['X-Instance-Id'] || null;
  /** @type {number | null} */
  let hits = null;
  if (res.status === 200) {
    try {
      hits = Number(res.json('hits'));
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
  return Number(res.json('hits'));
}

/**
 * handleSummary for every script: prints a per-instance table and every threshold with a verdict,
 * and writes OUT_DIR/<name>.json (k6's whole summary) and OUT_DIR/<name>.html (the chart).
 * @param {string} name the script's name, e.g. distribution
 * @param {import('./report.js').Summary} data k6's summary
 * @param {string[]} instances the expected instances, each a row even when it got nothing
 * @param {string[]} [notes] extra lines for the table and the chart
 */
export function report(name, data, instances, notes = []) {
  return summaryFiles(name, data, instances, { target: BASE_URL, outDir: OUT_DIR }, notes);
}
