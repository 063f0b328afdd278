// npm run screenshots — renders the pages in Chromium and saves the PNGs the README shows.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadConfig } from '../src/config/index.js';
import { createPortvakt } from '../src/app.js';
import { validateApiScope } from '../src/registry/api-scopes.js';
import { testPersons } from '../src/identity/test-persons.js';

const OUT = path.resolve('docs/screenshots');

/** From the portal's start page, logged in as the demo organisation's administrator (Kari Nordmann). */
async function logInToPortal(page: import('playwright-core').Page, issuer: string) {
  await page.getByRole('link', { name: 'Logg inn' }).click();
  await page.getByRole('button', { name: 'Logg inn som Kari Nordmann' }).click();
  await page.waitForURL(`${issuer}/portal`);
}

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
      await logInToPortal(page, config.issuer);
      await page.getByRole('link', { name: 'Demo Organisasjon AS' }).click();
      await page.getByRole('link', { name: 'Ny integrasjon' }).click();
      await page.getByLabel('Navn på tjenesten').fill('Min tjeneste');
      await page.getByLabel('Redirect-URI-er').fill('https://min-tjeneste.example/callback#start');
      await page.getByRole('button', { name: 'Opprett' }).click();
    });
    await shoot('portal-api-client', `${config.issuer}/portal`, async (page) => {
      await logInToPortal(page, config.issuer);
      await page.getByRole('link', { name: 'Demo Organisasjon AS' }).click();
      await page.getByRole('link', { name: 'Ny API-klient (Maskinporten)' }).click();
      await page.getByLabel('Navn på tjenesten').fill('Integrasjonsrobot');
      await page.getByLabel('idporten:dcr.read').check();
      await page.getByLabel('idporten:dcr.write').check();
      await page.getByRole('button', { name: 'Opprett' }).click();
      await page.waitForSelector('#keys-title');
    });
    await shoot('error-page', `${config.issuer}/authorize?client_id=unknown-client&response_type=code`);
    await shootEvents(config.issuer);
    await shootVerification(config.issuer);
    await shootSupport(config.issuer);
    await shootProductionRequest();
    await shootScope(config.issuer);
    await shootConsent(config.issuer);
    await shootFullmakt(config.issuer);
    await shootProfile(config.issuer);

    // The person's overview (/brukerprofil): Nils Sara has logged in to an app that asked for her
    // consent, and to the demo service; the overview lists both, each with a button to withdraw it.
    async function shootProfile(issuer: string) {
      const actor = { kind: 'cli' as const, id: 'screenshots' };
      const app = 'http://localhost:3001';
      const { integration } = await portvakt.integrations.create('all', '312000008', { client_name: 'Skatteappen', integration_type: 'api_klient', redirect_uris: [`${app}/callback`], grant_types: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile', 'skatt:melding.read'] }, actor);
      const query = new URLSearchParams({
        client_id: integration.client_id, response_type: 'code', scope: 'openid profile skatt:melding.read', redirect_uri: `${app}/callback`, state: 's', nonce: 'n',
        code_challenge: crypto.createHash('sha256').update('screenshot-verifier').digest('base64url'), code_challenge_method: 'S256',
      });
      await shoot('profile-nb', `${issuer}/authorize?${query}`, async (page) => {
        await page.context().route(`${app}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'Skatteappen' }));
        await page.locator('#pid').fill(testPersons.find((p) => p.givenName === 'Nils')!.pid); // someone the other pictures did not log in
        await page.locator('button[name="action"][value="login"]').click();
        await page.locator('button[name="action"][value="consent"]').click();
        await page.waitForURL(`${app}/**`);
        await page.goto(`${issuer}/demo/login`);
        await page.waitForSelector('#id-token-claims');
        await page.goto(`${issuer}/brukerprofil/login`);
        await page.waitForSelector('#service-1');
      });
    }

    // The fullmakt chooser: Kari Nordmann (seeded relations) logs in to a service that asks for a fullmakt login.
    async function shootFullmakt(issuer: string) {
      const actor = { kind: 'cli' as const, id: 'screenshots' };
      const { integration } = await portvakt.integrations.create('all', '312000008', { client_name: 'Dagpenger', redirect_uris: ['http://localhost:3000/callback'] }, actor);
      const query = new URLSearchParams({
        client_id: integration.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: 'http://localhost:3000/callback', state: 's', nonce: 'n',
        code_challenge: crypto.createHash('sha256').update('screenshot-verifier').digest('base64url'), code_challenge_method: 'S256',
        authorization_details: JSON.stringify([{ type: 'idporten:fullmakt', permission_roles: ['skatt'] }]),
      });
      await shoot('fullmakt-nb', `${issuer}/authorize?${query}`, async (page) => {
        await page.locator('#pid').fill(testPersons[0]!.pid);
        await page.locator('button[name="action"][value="login"]').click();
        await page.waitForSelector('input[name="authorizer"]');
      });
    }

    // The consent page a person meets after logging in, when a service asks for a scope that wants it.
    async function shootConsent(issuer: string) {
      const actor = { kind: 'cli' as const, id: 'screenshots' };
      await portvakt.apiScopes.upsert(validateApiScope({ name: 'skatt:melding.read', description: 'Se skattemeldingen din', long_description: 'Tjenesten leser skattemeldingen for inntektsåret, for å fylle ut søknaden for deg.', accessible_for_all: true, requires_user_consent: true }), actor);
      const { integration } = await portvakt.integrations.create('all', '312000008', { client_name: 'Skattehjelpen', integration_type: 'api_klient', redirect_uris: ['http://localhost:3000/callback'], scopes: ['openid', 'profile', 'skatt:melding.read'] }, actor);
      const query = new URLSearchParams({
        client_id: integration.client_id, response_type: 'code', scope: 'openid skatt:melding.read', redirect_uri: 'http://localhost:3000/callback', state: 's', nonce: 'n',
        code_challenge: crypto.createHash('sha256').update('screenshot-verifier').digest('base64url'), code_challenge_method: 'S256',
      });
      await shoot('consent-nb', `${issuer}/authorize?${query}`, async (page) => {
        await page.locator('#pid').fill('28876895937');
        await page.locator('button[name="action"][value="login"]').click();
        await page.waitForSelector('.consent-scopes');
      });
    }

    // An organisation's API scope, with one organisation given access.
    async function shootScope(issuer: string) {
      const actor = { kind: 'cli' as const, id: 'screenshots' };
      await portvakt.apiScopes.assignPrefix('demo', '312000008', actor);
      const scope = await portvakt.apiScopes.create('all', '312000008', { prefix: 'demo', subscope: 'soknad.read', description: 'Les innbyggerens søknader', at_max_age: 300, enforced_aud_for_introspection: ['soknad-api'] }, actor);
      await portvakt.apiScopes.grantAccess('all', scope.name, '974760673', actor);
      await shoot('portal-api-scope', `${issuer}/portal`, async (page) => {
        await logInToPortal(page, issuer);
        await page.goto(`${issuer}/portal/scopes?scope=${encodeURIComponent(scope.name)}`);
      });
    }

    // A support request about an integration, as the organisation sees it once the desk has answered.
    async function shootSupport(issuer: string) {
      const { integration } = await portvakt.integrations.create('all', '312000008', { client_name: 'Min tjeneste', redirect_uris: ['http://localhost:3000/callback'] }, { kind: 'cli', id: 'screenshots' });
      const opened = await portvakt.support.open({ orgnos: new Set(['312000008']) }, { orgno: '312000008', clientId: integration.client_id, subject: 'Innloggingen feiler etter at vi byttet adresse', text: 'Etter flyttingen til ny adresse får brukerne en feilside med referanse 3f9a1c0b7d2e.\nHva har vi gjort galt?' }, { kind: 'person', id: '12848500095' });
      await portvakt.support.reply('all', opened.id, 'Referansen viser redirect_uri https://ny.min-tjeneste.example/callback, som ikke er registrert på integrasjonen. Legg den til under Redirect-URI-er, så virker det.', { kind: 'person', id: '05894200016' });
      await shoot('portal-support', `${issuer}/portal`, async (page) => {
        await logInToPortal(page, issuer);
        await page.goto(`${issuer}/portal/support/${opened.id}`);
      });
    }

    // An integration's verification tests, after its service and the demo service shared a login
    // (test 1) and the demo logged out (test 7).
    async function shootVerification(issuer: string) {
      const service = 'http://localhost:3000';
      const { integration } = await portvakt.integrations.create('all', '312000008', { client_name: 'Min tjeneste', redirect_uris: [`${service}/callback`], frontchannel_logout_uri: `${service}/logout/frontchannel` }, { kind: 'cli', id: 'screenshots' });
      const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
      await context.route(`${service}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'Min tjeneste' }));
      const page = await context.newPage();
      const verifier = crypto.randomBytes(32).toString('base64url');
      const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
      await page.goto(`${issuer}/authorize?${new URLSearchParams({ client_id: integration.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: `${service}/callback`, state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' })}`);
      await page.getByRole('button', { name: 'Logg inn som Kari Nordmann' }).click();
      await page.waitForURL(`${service}/**`);
      await page.goto(`${issuer}/demo/login`);
      await page.waitForSelector('#id-token-claims');
      await page.getByRole('button', { name: 'Logg ut' }).click();
      await page.waitForURL(/\/demo\/logged-out/);
      await page.goto(`${issuer}/portal`);
      await logInToPortal(page, issuer);
      await page.goto(`${issuer}/portal/clients/${integration.client_id}/verification`);
      await page.screenshot({ path: path.join(OUT, 'portal-verification.png'), fullPage: true });
      await context.close();
      process.stdout.write('docs/screenshots/portal-verification.png\n');
    }


    // An integration's recent protocol events, after the usual first mistakes.
    async function shootEvents(issuer: string) {
      const redirect = 'http://localhost:3000/callback';
      const { integration, client_secret } = await portvakt.integrations.create('all', '312000008', { client_name: 'Min tjeneste', redirect_uris: [redirect] }, { kind: 'cli', id: 'screenshots' });
      const verifier = crypto.randomBytes(32).toString('base64url');
      const pkce = { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
      const authorize = (redirectUri: string) => `${issuer}/authorize?${new URLSearchParams({ client_id: integration.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: redirectUri, state: 's', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256', login_hint: 'testid:12848500095_idporten-loa-substantial' })}`;
      const token = async (secret: string) => {
        const location = (await fetch(authorize(redirect), { redirect: 'manual' })).headers.get('location')!;
        const code = new URL(location).searchParams.get('code')!;
        await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${integration.client_id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: pkce.verifier }),
        });
      };
      await fetch(authorize('http://localhost:3000/callbak'), { redirect: 'manual' });
      await token('not-the-secret');
      await token(client_secret!);
      const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
      const page = await context.newPage();
      await page.goto(`${issuer}/portal`);
      await logInToPortal(page, issuer);
      await page.goto(`${issuer}/portal/clients/${integration.client_id}`);
      await page.locator('section[aria-labelledby="events-title"]').screenshot({ path: path.join(OUT, 'portal-events.png') });
      await context.close();
      process.stdout.write('docs/screenshots/portal-events.png\n');
    }

    // A production request as the service desk reads it, in a production environment where the desk
    // approves new integrations (a second Portvakt, as production is another installation).
    async function shootProductionRequest() {
      const prodDir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-shots-prod-'));
      const prodConfig = loadConfig({
        PORT: '9394', HOST: '127.0.0.1', PORTVAKT_DATA_DIR: prodDir, LOG_LEVEL: 'warn', PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_DEMO: 'true',
        PORTVAKT_SECRET: crypto.randomBytes(32).toString('base64url'), PORTVAKT_INTEGRATION_APPROVAL: 'desk', PORTVAKT_TEST_PORTAL_URL: 'https://test.portvakt.example',
      });
      const prod = await createPortvakt(prodConfig);
      try {
        await prod.server.listen({ port: prodConfig.port, host: prodConfig.host });
        await prod.organisations.grant('12848500095', 'service_desk');
        const goLive = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
        const request = await prod.productionRequests.submit({ orgnos: new Set(['312000008']) }, {
          orgno: '312000008', test_client_id: '5f0c8a2e-1d7b-4c3e-9a61-2b8e4f7d9c10', go_live: goLive,
          description: 'Søknad om startlån for innbyggere i kommunen.', volume: 'Omtrent 2 000 innlogginger i måneden, flest i januar.',
          client: { client_name: 'Startlån', redirect_uris: ['https://startlan.example/callback'], post_logout_redirect_uris: ['https://startlan.example/logget-ut'], frontchannel_logout_uri: 'https://startlan.example/logout/frontchannel' },
        }, { kind: 'person', id: '12848500095' });
        const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
        const page = await context.newPage();
        await page.goto(`${prodConfig.issuer}/portal`);
        await logInToPortal(page, prodConfig.issuer);
        await page.goto(`${prodConfig.issuer}/portal/requests/${request.id}`);
        await page.screenshot({ path: path.join(OUT, 'portal-production-request.png'), fullPage: true });
        await context.close();
        process.stdout.write('docs/screenshots/portal-production-request.png\n');
      } finally {
        await prod.close();
        await fs.rm(prodDir, { recursive: true, force: true });
      }
    }
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
