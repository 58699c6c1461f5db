// The timeline (timeline.js and lib/timeline.js) drawn from samples/failover.csv, a failover run
// recorded through ./stack in k6's CSV layout: hits-2 killed and started again, then nginx paused for
// 2 s (timeouts). The page is also rendered in headless Chromium, as /live is, and its pixels read.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { drawTimeline } from '../timeline.js';
import { reportHtml } from '../lib/report.js';
import { COLOURS, FAILED_COLOUR, SampleReader, millis, niceStep, parseEvents } from '../lib/timeline.js';

const samples = new URL('../samples/', import.meta.url).pathname;
const timelineScript = new URL('../timeline.js', import.meta.url).pathname;
const INSTANCES = ['hits-1', 'hits-2', 'hits-3'];
const events = parseEvents(readFileSync(join(samples, 'failover.events'), 'utf8'), 'failover.events');

/** A fresh OUT_DIR holding the sample run and an undrawn report, as k6/failover.sh leaves them. */
function outDirWithSample() {
  const dir = mkdtempSync(join(tmpdir(), 'timeline-'));
  copyFileSync(join(samples, 'failover.csv'), join(dir, 'failover.csv'));
  copyFileSync(join(samples, 'failover.events'), join(dir, 'failover.events'));
  writeFileSync(join(dir, 'failover.html'), reportHtml('failover', 'http://127.0.0.1:8080', [], 0, true, []));
  return dir;
}

/** The sample's page loads and failures, as the timeline reads them (a tiny CSV parser is enough for its fields). */
function sampleCounts() {
  const [header, ...rows] = readFileSync(join(samples, 'failover.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const reader = new SampleReader(header);
  rows.forEach((r) => reader.add(r));
  return reader.samples;
}

const drawn = (async () => {
  const dir = outDirWithSample();
  const line = await drawTimeline('failover', dir, INSTANCES);
  return { dir, line, html: readFileSync(join(dir, 'failover.html'), 'utf8') };
})();

test('the sample holds what the timeline must show: a gap for hits-2 after the kill, and failures', () => {
  const s = sampleCounts();
  const [kill, start] = events;
  assert.equal(kill.what, 'kill hits-2');
  assert.equal(start.what, 'start hits-2');
  assert.ok(s.loads.filter((l) => l.instance === 'hits-2' && l.at > kill.at + 500 && l.at < start.at).length === 0);
  assert.ok(s.loads.filter((l) => l.instance === 'hits-1').length > 300);
  assert.ok(s.failures.length > 0 && s.failures.every((f) => f.status === '0'));
});

test('the report gets axes, one line per instance, the failures in red and the driver\'s actions', async () => {
  const { html, line } = await drawn;
  const s = sampleCounts();
  const count = (/** @type {string} */ i) => s.loads.filter((l) => l.instance === i).length;
  assert.match(line, new RegExp(`^timeline: [\\d.]+ s, hits-1 \\(${count('hits-1')}\\), hits-2 \\(${count('hits-2')}\\), `
    + `hits-3 \\(${count('hits-3')}\\), failed requests \\(${s.failures.length}\\); kill hits-2 at [\\d.]+ s, start hits-2 at`));
  assert.match(html, />seconds since the run's first sample \(0\.5 s steps\)</);
  assert.match(html, />page loads a second</);
  const lines = [...html.matchAll(/<polyline points="([^"]+)" fill="none" stroke="(#[0-9a-f]+)"/g)];
  assert.deepEqual(lines.map((m) => m[2]), COLOURS.slice(0, 3));
  const buckets = lines.map((m) => m[1].split(' ').length);
  assert.ok(buckets.every((n) => n === buckets[0] && n >= 30), `buckets: ${buckets}`);
  const red = [...html.matchAll(/<rect [^>]*fill="#dc2626"><title>(\d+) failed<\/title>/g)].map((m) => Number(m[1]));
  assert.equal(red.reduce((a, b) => a + b, 0), s.failures.length);
  const dashed = [...html.matchAll(/stroke-dasharray="5,4"\/><text [^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(dashed, ['kill hits-2', 'start hits-2', 'pause nginx', 'resume nginx']);
  assert.match(html, /Red bars: failed requests \(\d+ with status 0\)/);
  assert.equal(html.match(/<!-- timeline:/g)?.length, 1, 'the placeholder is replaced, not added to');
});

test('drawing twice needs the placeholder: a drawn report is not a report to draw into', async () => {
  const { dir } = await drawn;
  const again = mkdtempSync(join(tmpdir(), 'timeline-'));
  copyFileSync(join(samples, 'failover.csv'), join(again, 'failover.csv'));
  writeFileSync(join(again, 'failover.html'), readFileSync(join(dir, 'failover.html'), 'utf8').replace('<!-- /timeline -->', ''));
  await assert.rejects(drawTimeline('failover', again, INSTANCES), /failover\.html: no timeline placeholder/);
});

test('Chromium renders the timeline: each instance\'s colour and the red failures are on screen', { timeout: 90_000 }, async () => {
  const { dir } = await drawn;
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
  assert.ok(chromium, 'headless Chromium is needed: apt-get install -y chromium');
  const png = join(dir, 'failover.png');
  execFileSync(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`,
    '--window-size=900,900', `--screenshot=${png}`, `file://${join(dir, 'failover.html')}`], { stdio: 'ignore', timeout: 60_000 });
  const image = PNG.sync.read(readFileSync(png));
  /** @type {Record<string, number>} */
  const pixels = {};
  for (let i = 0; i < image.data.length; i += 4) {
    const hex = `#${[0, 1, 2].map((k) => image.data[i + k].toString(16).padStart(2, '0')).join('')}`;
    pixels[hex] = (pixels[hex] || 0) + 1;
  }
  // More than the legend alone holds (a 14 x 3 line, a 14 x 10 box): measured here, 150-530 pixels of
  // each line's exact colour (lines on top of each other hide some) and 1,240 of red.
  /** @type {[string, number][]} */
  const legends = [...COLOURS.slice(0, 3).map((c) => /** @type {[string, number]} */ ([c, 42])), [FAILED_COLOUR, 140]];
  for (const [colour, legend] of legends) {
    assert.ok((pixels[colour] || 0) > 2 * legend, `${colour} on screen: ${pixels[colour] || 0} pixels`);
  }
});

test('bad input stops the drawing with one line naming the file and how to make it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'timeline-'));
  await assert.rejects(drawTimeline('failover', empty, INSTANCES),
    { message: `${empty}/failover.html not found: the run writes it: k6/failover.sh stack (or compose), `
      + `or k6 run --out csv=fileName=${empty}/failover.csv,timeFormat=unix_milli k6/failover.js` });
  await assert.rejects(drawTimeline('soak', empty, INSTANCES), /REPORT must name the run to draw, one of distribution, affinity, failover; got 'soak'/);

  writeFileSync(join(empty, 'distribution.html'), reportHtml('distribution', 'x', [], 0, true, []));
  await assert.rejects(drawTimeline('distribution', empty, INSTANCES), /distribution\.csv not found: the run writes it: k6\/run\.sh distribution/);
  writeFileSync(join(empty, 'distribution.csv'), 'a,b\n1,2\n');
  await assert.rejects(drawTimeline('distribution', empty, INSTANCES),
    /distribution\.csv: no 'metric_name', 'timestamp', 'expected_response', 'status', 'extra_tags' column: not k6's CSV output\?/);
  writeFileSync(join(empty, 'distribution.csv'), readFileSync(join(samples, 'failover.csv'), 'utf8').split('\n')[0]);
  await assert.rejects(drawTimeline('distribution', empty, INSTANCES), /distribution\.csv: no samples: did the run start\?/);
  writeFileSync(join(empty, 'distribution.events'), 'at noon kill hits-2\n');
  await assert.rejects(drawTimeline('distribution', empty, INSTANCES), /distribution\.events: expected '<unix ms> <what>' on each line, got 'at noon kill hits-2'/);
});

test('k6\'s quoting is read as CSV: an error message with a comma stays one field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'timeline-'));
  writeFileSync(join(dir, 'distribution.html'), reportHtml('distribution', 'x', [], 0, true, []));
  writeFileSync(join(dir, 'distribution.csv'), [
    'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata',
    'http_reqs,1796471842000,1.000000,,"dial tcp 127.0.0.1:8080: connect: connection refused, retrying",1212,false,,GET,GET /,,default,,0,,,http://127.0.0.1:8080/,,',
    'lb_hits,1796471842500,1.000000,,,,,,,,,default,,,,,,instance=hits-1&name=GET /,',
  ].join('\n'));
  const line = await drawTimeline('distribution', dir, ['hits-1']);
  assert.match(line, /^timeline: 0\.5 s, hits-1 \(1\), failed requests \(1\)/);
});

test('the command line exits 1 with one line on bad input', () => {
  const run = spawnSync(process.execPath, [timelineScript, 'soak'], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^timeline\.js: REPORT must name the run to draw/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
});

test('timestamps in unix seconds, unix ms and RFC 3339 agree; steps are round numbers', () => {
  assert.equal(millis('1796471842'), 1796471842000);
  assert.equal(millis('1796471842317'), 1796471842317);
  assert.equal(millis('2026-12-05T11:57:22.317Z'), Date.parse('2026-12-05T11:57:22.317Z'));
  assert.ok(Number.isNaN(millis('')));
  assert.deepEqual([niceStep(19.6, 60), niceStep(19.6, 10), niceStep(47, 5), niceStep(300, 60)], [0.5, 2, 10, 5]);
});
