// npm run screenshots — renders the pages in Chromium and saves the PNGs the README shows.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadConfig } from '../src/config/index.js';
import { createPortvakt } from '../src/app.js';

const OUT = path.resolve('docs/screenshots');

async function main() {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-shots-'));
  const config = loadConfig({ PORT: '9393', HOST: '127.0.0.1', PORTVAKT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const portvakt = await createPortvakt(config);
  await portvakt.server.listen({ port: config.port, host: config.host });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    await fs.mkdir(OUT, { recursive: true });
    const shoot = async (name: string, url: string, act?: (page: import('playwright-core').Page) => Promise<void>) => {
      const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
      const page = await context.newPage();
      await page.goto(url);
      await act?.(page);
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
      await context.close();
      process.stdout.write(`docs/screenshots/${name}.png\n`);
    };
    await shoot('testid-nb', `${config.issuer}/demo/login`);
    await shoot('testid-en-error', `${config.issuer}/demo/login?lang=en`, async (page) => {
      await page.getByLabel('National identity number or D-number').fill('12345678901');
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.waitForSelector('[role=alert]');
    });
    await shoot('demo-claims', `${config.issuer}/demo/login?lang=en`, async (page) => {
      await page.getByRole('button', { name: 'Log in as Kari Nordmann' }).click();
      await page.waitForSelector('#id-token-claims');
    });
    await shoot('portal-new-integration', `${config.issuer}/portal`, async (page) => {
      await page.getByRole('link', { name: 'Logg inn' }).click();
      await page.getByRole('button', { name: 'Logg inn som Kari Nordmann' }).click();
      await page.waitForURL(`${config.issuer}/portal`);
      await page.getByRole('link', { name: 'Demo Organisasjon AS' }).click();
      await page.getByRole('link', { name: 'Ny integrasjon' }).click();
      await page.getByLabel('Navn på tjenesten').fill('Min tjeneste');
      await page.getByLabel('Redirect-URI-er').fill('https://min-tjeneste.example/callback#start');
      await page.getByRole('button', { name: 'Opprett' }).click();
    });
    await shoot('error-page', `${config.issuer}/authorize?client_id=unknown-client&response_type=code`);
  } finally {
    await browser.close();
    await portvakt.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
