// Debian's Chromium driven by playwright-core (never a downloaded browser). Without it, browser
// tests say they were skipped; in CI (.ci/run installs it) its absence is a failure.
import fs from 'node:fs';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { startPortvakt, type StartOptions, type TestPortvakt } from './portvakt.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

if (!hasChromium) {
  const message = `${CHROMIUM} not found: browser tests are SKIPPED (apt-get install chromium).`;
  if (process.env.CI) throw new Error(`${message} CI must run them.`);
  process.stderr.write(`\n[portvakt] ${message}\n`);
}

// A browser journey (several people, a dozen pages, each checked with axe-core) takes tens of
// seconds on a busy 2-core machine, where the suite's default of 30 s is too tight; a hang still
// fails, later.
vi.setConfig({ testTimeout: 120_000 });

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new browser context's page, logged in to the portal at `issuer` as a test person (by the picker's button). */
export async function loggedInToPortal(browser: Browser, issuer: string, person: { givenName: string; familyName: string }): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${issuer}/portal`);
  await page.getByRole('link', { name: 'Logg inn' }).click();
  await page.getByRole('button', { name: `Logg inn som ${person.givenName} ${person.familyName}` }).click();
  await page.waitForURL(`${issuer}/portal`);
  return page;
}

/**
 * WCAG 2.1 A/AA violations axe-core finds on the page that are serious or critical, each with the
 * elements it found them on (so a failure says where to look).
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

/**
 * WCAG 1.4.10 (reflow): on a 320 CSS px wide screen the page needs no sideways scrolling (only a
 * table may scroll, inside itself), and axe-core still finds nothing serious. The page stays that
 * narrow afterwards. Returns what is wrong, if anything.
 */
export async function narrowScreenProblems(page: Page): Promise<string[]> {
  await page.setViewportSize({ width: 320, height: 640 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  return [...(width > 320 ? [`the page is ${width} px wide at 320 px`] : []), ...(await seriousViolations(page))];
}

/** The page has no serious axe violations, at its width and at 320 px (where it then stays). */
export async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  expect(await narrowScreenProblems(page)).toEqual([]);
}

/**
 * A portal suite's Portvakt (started with `options`, `desk` made its service desk) and Chromium, for
 * the whole test file (started before, stopped after); without Chromium neither starts.
 */
export function portalInChromium(options: StartOptions, desk: { pid: string }): { pv: TestPortvakt; browser: Browser } {
  const suite = {} as { pv: TestPortvakt; browser: Browser };
  beforeAll(async () => {
    if (!hasChromium) return;
    suite.pv = await startPortvakt(options);
    await suite.pv.portvakt.organisations.grant(desk.pid, 'service_desk');
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.pv?.close();
  });
  return suite;
}
