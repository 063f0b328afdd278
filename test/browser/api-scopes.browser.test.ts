// API scopes in the portal, in Chromium: the service desk gives an organisation a prefix on its
// page, the organisation's administrator registers a scope, meets a rule it broke beside the field,
// gives another organisation access and takes it back. Each page has no serious axe violations and
// reads at 320 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startPortvakt, type TestPortvakt } from '../helpers/portvakt.js';
import { hasChromium, launchChromium, loggedInToPortal, narrowScreenProblems, seriousViolations } from '../helpers/chromium.js';
import { DEMO_ORGANISATION, DEMO_ADMIN } from '../../src/app.js';
import { testPersons } from '../../src/identity/test-persons.js';

const DESK = testPersons[1]!;
const CONSUMER = '974760673';

let pv: TestPortvakt;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  pv = await startPortvakt();
  await pv.portvakt.organisations.grant(DESK.pid, 'service_desk');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await pv?.close();
});

async function accessible(page: Page) {
  expect(await seriousViolations(page)).toEqual([]);
  expect(await narrowScreenProblems(page)).toEqual([]);
}

describe.skipIf(!hasChromium)('API scopes in the portal', () => {
  it('the desk gives a prefix; the administrator registers a scope, fixes what was wrong, gives access and takes it back', async () => {
    const desk = await loggedInToPortal(browser, pv.issuer, DESK);
    await desk.goto(`${pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}`);
    await desk.getByLabel('Gi virksomheten et prefiks').fill('demo');
    await desk.getByRole('button', { name: 'Gi prefiks' }).click();
    expect(await desk.locator('#prefixes').innerText()).toContain('demo:');
    await accessible(desk);

    const admin = await loggedInToPortal(browser, pv.issuer, DEMO_ADMIN);
    await admin.getByRole('link', { name: DEMO_ORGANISATION.name }).click();
    await admin.getByRole('link', { name: 'Registrer API-scope' }).click();
    await accessible(admin);
    await admin.getByLabel('Underscope').fill('søknad read');
    await admin.getByLabel('Beskrivelse', { exact: true }).fill('Les søknader');
    await admin.getByRole('button', { name: 'Opprett' }).click();
    // Not a subscope: the form comes back with the error beside the field, linked from the summary.
    expect(await admin.locator('#subscope-error').innerText()).toContain('must be 1 to 200 characters');
    await accessible(admin);
    await admin.locator('.ds-alert a').click();
    expect(await admin.evaluate(() => document.activeElement?.id)).toBe('subscope');

    await admin.getByLabel('Underscope').fill('soknad.read');
    await admin.getByLabel('Kan introspektere tokens (client_id)').fill('demo-api');
    await admin.getByLabel('Pseudonyme tokens').check();
    await admin.getByRole('button', { name: 'Opprett' }).click();
    expect(await admin.locator('h1').innerText()).toBe('demo:soknad.read');
    expect(await pv.portvakt.apiScopes.find('demo:soknad.read')).toMatchObject({
      owner_orgno: DEMO_ORGANISATION.orgno, enforced_aud_for_introspection: ['demo-api'], requires_pseudonymous_tokens: true, token_type: 'SELF_CONTAINED', active: true,
    });
    expect(await admin.getByLabel('Pseudonyme tokens').isChecked()).toBe(true);
    await accessible(admin);

    await admin.getByLabel('Gi tilgang til organisasjonsnummer').fill(CONSUMER);
    await admin.getByRole('button', { name: 'Gi tilgang', exact: true }).click();
    expect(await admin.getByRole('button', { name: `Fjern tilgangen for ${CONSUMER}` }).count()).toBe(1);
    expect((await pv.portvakt.apiScopes.accessOf(CONSUMER)).map((entry) => entry.scope)).toEqual(['demo:soknad.read']);
    await accessible(admin);

    await admin.getByRole('button', { name: `Fjern tilgangen for ${CONSUMER}` }).click();
    expect(await pv.portvakt.apiScopes.accessOf(CONSUMER)).toEqual([]);
    await admin.getByLabel('Aktivt').uncheck();
    await admin.getByRole('button', { name: 'Lagre' }).click();
    expect((await pv.portvakt.apiScopes.find('demo:soknad.read'))?.active).toBe(false);

    await admin.goto(`${pv.issuer}/portal/orgs/${DEMO_ORGANISATION.orgno}`);
    expect(await admin.locator('#scope-table').innerText()).toContain('demo:soknad.read');
    await accessible(admin);
  });
});
