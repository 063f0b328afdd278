// Debian's Chromium driven by playwright-core (never a downloaded browser). Without it, browser
// tests say they were skipped; in CI (.ci/run installs it) its absence is a failure.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

if (!hasChromium) {
  const message = `${CHROMIUM} not found: browser tests are SKIPPED (apt-get install chromium).`;
  if (process.env.CI) throw new Error(`${message} CI must run them.`);
  process.stderr.write(`\n[portvakt] ${message}\n`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
