// Lighthouse on several pages with one Chromium: `node bench/lighthouse.mjs < job.json`.
// job: {"chromePath": "...", "chromeFlags": [...], "preset": "desktop" | "mobile",
//       "pages": [{"name", "url", "headers"}]}.
// Prints {"<name>": {"performance", "accessibility", "metrics": {...}, "failed": [audit ids]}}.
// Called by bench/lighthouse.py (the bench and the browser test tier), not by the app.
import {readFileSync} from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse, {desktopConfig} from 'lighthouse';
import * as constants from 'lighthouse/core/config/constants.js';

// Lighthouse's own advice for these is "run Lighthouse again": a trace that a busy machine failed
// to record says nothing about the page. Any other runtime error, or the same one three times, fails.
const RETRIED = new Set(['NO_NAVSTART', 'NO_FCP', 'NO_LCP', 'NO_TRACING_STARTED', 'NO_DCL']);
const ATTEMPTS = 3;

const job = JSON.parse(readFileSync(0, 'utf8'));
if (!['desktop', 'mobile'].includes(job.preset)) throw new Error(`unknown preset ${job.preset}`);
const chrome = await chromeLauncher.launch({chromePath: job.chromePath, chromeFlags: job.chromeFlags});
const results = {};
try {
  for (const page of job.pages) {
    let lhr;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      lhr = await audit(page);
      if (!lhr.runtimeError || !RETRIED.has(lhr.runtimeError.code)) break;
      process.stderr.write(`${page.name}: ${lhr.runtimeError.code}, attempt ${attempt} of ${ATTEMPTS}\n`);
    }
    if (lhr.runtimeError) {
      throw new Error(`${page.name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    }
    const metric = (id) => lhr.audits[id] && lhr.audits[id].numericValue;
    results[page.name] = {
      url: lhr.finalDisplayedUrl,
      performance: lhr.categories.performance.score,
      accessibility: lhr.categories.accessibility.score,
      metrics: {
        fcp: metric('first-contentful-paint'),
        lcp: metric('largest-contentful-paint'),
        tbt: metric('total-blocking-time'),
        cls: metric('cumulative-layout-shift'),
      },
      failed: lhr.categories.accessibility.auditRefs
        .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
        .map((ref) => ref.id),
    };
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(results));

async function audit(page) {
  const run = await lighthouse(page.url, {
    port: chrome.port,
    logLevel: 'error',
    output: 'json',
    onlyCategories: ['performance', 'accessibility'],
    extraHeaders: page.headers || {},
    disableStorageReset: false,
  }, {
    // Lighthouse's default configuration is its mobile preset (a Moto G Power-sized screen, slow
    // 4G and a 4x CPU slowdown, all simulated); desktopConfig is its desktop preset.
    ...(job.preset === 'mobile' ? {extends: 'lighthouse:default'} : desktopConfig),
    settings: {
      ...(job.preset === 'mobile' ? {} : desktopConfig.settings),
      // Cookies too: a cookie an earlier page set (the login page's CSRF cookie) would make
      // Chromium send its own Cookie header instead of the session cookie in extraHeaders.
      clearStorageTypes: [...constants.defaultSettings.clearStorageTypes, 'cookies'],
    },
  });
  return run.lhr;
}
