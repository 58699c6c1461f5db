// The end-of-test report (lib/report.js) from a summary shaped as k6 v1.x hands it to handleSummary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TIMELINE_END, TIMELINE_START, anyInstanceStarved, escapeHtml, instanceRows, summaryFiles, thresholdResults,
} from '../lib/report.js';

/** A distribution run of 900 page loads with hits-2 stopped: hits-1 and hits-3 took its share, and 2 answers were 502s. */
const starved = {
  metrics: {
    lb_hits: { values: { count: 902, rate: 90.2 } },
    'lb_hits{instance:hits-1}': { values: { count: 450 }, thresholds: { 'count>=240': { ok: true } } },
    'lb_hits{instance:hits-3}': { values: { count: 450 }, thresholds: { 'count>=240': { ok: true } } },
    'lb_hits{instance:hits-2}': { values: { count: 0 }, thresholds: { 'count>=240': { ok: false } } },
    http_req_failed: { values: { rate: 0 }, thresholds: { 'rate==0': { ok: true } } },
    http_req_duration: { values: { 'p(95)': 12 }, thresholds: { 'p(95)<1000': { ok: true }, 'p(99)<2000': { ok: true } } },
  },
};
const instances = ['hits-1', 'hits-2', 'hits-3'];

test('a row per expected instance in order, then one for answers from anything else', () => {
  const { rows, total } = instanceRows(starved, instances);
  assert.equal(total, 902);
  assert.deepEqual(rows, [
    { instance: 'hits-1', count: 450, goal: '>=240', ok: true },
    { instance: 'hits-2', count: 0, goal: '>=240', ok: false },
    { instance: 'hits-3', count: 450, goal: '>=240', ok: true },
    { instance: '(other instances or errors)', count: 2, goal: '', ok: true },
  ]);
});

test('an instance with no sample at all still gets its row, at 0', () => {
  const { rows } = instanceRows({ metrics: {} }, ['hits-1']);
  assert.deepEqual(rows, [{ instance: 'hits-1', count: 0, goal: '', ok: true }]);
});

test('count-only thresholds are left out of the verdicts', () => {
  const data = { metrics: { 'lb_hits{instance:hits-1}': { values: { count: 5 }, thresholds: { 'count>=0': { ok: true } } } } };
  assert.deepEqual(thresholdResults(data), []);
  assert.equal(instanceRows(data, ['hits-1']).rows[0].goal, '');
  assert.equal(anyInstanceStarved(data), false);
  assert.equal(anyInstanceStarved(starved), true);
});

test('the printed table names the starved instance, and the verdict fails', () => {
  const files = summaryFiles('distribution', starved, instances, { target: 'http://127.0.0.1:8080', outDir: 'k6/out' },
    ['expected shares: hits-1 33.3 %, hits-2 33.3 %, hits-3 33.3 %']);
  const lines = files.stdout.split('\n');
  assert.ok(lines.includes('distribution: 902 page loads through http://127.0.0.1:8080'));
  assert.ok(lines.includes('  hits-1                              450  49.9 %  >=240      pass'), files.stdout);
  assert.ok(lines.includes('  hits-2                                0   0.0 %  >=240      FAIL: starved'), files.stdout);
  assert.ok(lines.includes('  FAIL  lb_hits{instance:hits-2} count>=240'));
  assert.ok(lines.includes('  pass  http_req_failed rate==0'));
  assert.ok(lines.includes('verdict: FAIL    reports: k6/out/distribution.json, k6/out/distribution.html'));
  assert.deepEqual(Object.keys(files), ['stdout', 'k6/out/distribution.json', 'k6/out/distribution.html']);
  assert.deepEqual(JSON.parse(files['k6/out/distribution.json']), starved);
});

test('the chart draws a bar per row, red for the starved one, and leaves room for the timeline', () => {
  const html = summaryFiles('distribution', starved, instances, { target: 'http://x', outDir: 'out' })['out/distribution.html'];
  assert.match(html, /<h1>distribution: FAIL<\/h1>/);
  const bars = [...html.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  assert.deepEqual(bars, ['#3b82f6', '#dc2626', '#3b82f6', '#3b82f6']);
  assert.match(html, />hits-2<\/text><rect [^>]*width="1"[^>]*fill="#dc2626"\/><text [^>]*>0 \(0\.0 %\)</);
  assert.ok(html.indexOf(TIMELINE_START) < html.indexOf(TIMELINE_END));
});

test('a passing run says so', () => {
  const healthy = { metrics: { ...starved.metrics, 'lb_hits{instance:hits-2}': { values: { count: 300 }, thresholds: { 'count>=240': { ok: true } } } } };
  const files = summaryFiles('distribution', healthy, instances, { target: 'http://x', outDir: 'out' });
  assert.match(files.stdout, /verdict: PASS/);
  assert.match(files['out/distribution.html'], /<h1>distribution: PASS<\/h1>/);
});

test('text from the run is escaped in the page', () => {
  assert.equal(escapeHtml('<b a="1">&'), '&lt;b a=&quot;1&quot;&gt;&amp;');
});
