// The operator's terms of use (onboarding/terms.ts): an organisation's administrator accepts them in
// the portal; outside test environments the organisation gets no new integration before that, and
// again after the version changes. In a test environment they may be accepted but are not required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { portalLogin } from './helpers/portal.js';
import { apiClient } from './helpers/clients.js';
import { DEMO_ADMIN, DEMO_ORGANISATION } from '../src/app.js';
import { testPersons } from '../src/identity/test-persons.js';

const TERMS = 'https://operator.example/bruksvilkar';
const PRODUCTION = { PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_DEMO: 'true', PORTVAKT_SECRET: 'a-production-root-secret-0123456789abcdef', PORTVAKT_TERMS_URL: TERMS, PORTVAKT_TERMS_VERSION: '2026-1' };
const ORG = DEMO_ORGANISATION.orgno;
const newIntegration = { client_name: 'Produksjonstjeneste', redirect_uris: ['https://tjeneste.example/callback'] };
const cli = { kind: 'cli' as const, id: 'test' };

describe('in a production environment', () => {
  let pv: TestPortvakt;
  let orgApi: Awaited<ReturnType<typeof apiClient>>;
  beforeAll(async () => {
    // The organisation's API client (Maskinporten), to meet the rule through the self-service API too.
    orgApi = await apiClient('org-api', ORG, ['idporten:dcr.write']);
    pv = await startPortvakt({ env: PRODUCTION, clients: [orgApi.registration] });
  });
  afterAll(async () => pv?.close());

  it('the self-service API says why it creates no integration (403) until the terms are accepted', async () => {
    const config = await oidc.discovery(new URL(pv.issuer), 'org-api', {}, oidc.PrivateKeyJwt({ key: orgApi.privateKey, kid: orgApi.kid }), { execute: [oidc.allowInsecureRequests] });
    const token = (await oidc.clientCredentialsGrant(config, { scope: 'idporten:dcr.write' })).access_token;
    const response = await fetch(`${pv.issuer}/api/v1/clients`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(newIntegration) });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'forbidden', error_description: `${ORG} has not accepted the terms of use (version 2026-1, ${TERMS}); an administrator of the organisation accepts them in the portal, then integrations can be created here` });
  });

  it('an organisation gets no integration before its administrator has accepted the terms, then it does', async () => {
    await expect(pv.portvakt.integrations.create('all', ORG, newIntegration, cli))
      .rejects.toThrow(`${ORG} has not accepted the terms of use (version 2026-1, ${TERMS}); an administrator of the organisation accepts them in the portal`);

    const admin = await portalLogin(pv.issuer, DEMO_ADMIN.pid);
    const page = await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}`);
    expect(page.body).toContain(`<a href="${TERMS}">Les bruksvilkårene (versjon 2026-1)</a>`);
    expect(page.body).toContain('Virksomheten har ikke godtatt bruksvilkårene. Dere må godta dem før dere kan opprette integrasjoner i dette miljøet.');
    expect(page.body).not.toContain(`href="/portal/orgs/${ORG}/new"`); // no button that would be refused

    // Without the box ticked nothing is accepted, and the page says why.
    const unticked = await admin.browser.post(`${pv.issuer}/portal/orgs/${ORG}/terms`, { csrf: admin.csrf });
    expect(unticked.status).toBe(400);
    expect(unticked.body).toContain('Kryss av for at du har lest bruksvilkårene');
    expect((await pv.portvakt.terms.status('all', ORG))!.accepted).toBeUndefined();

    const accepted = await admin.browser.post(`${pv.issuer}/portal/orgs/${ORG}/terms`, { csrf: admin.csrf, agree: 'yes' });
    expect(accepted.status).toBe(303);
    const after = await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}`);
    expect(after.body).toMatch(new RegExp(`Virksomheten godtok denne versjonen \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\(${DEMO_ADMIN.pid}\\)`));
    expect(after.body).toContain(`href="/portal/orgs/${ORG}/new"`);
    const [entry] = await pv.portvakt.audit.list({ orgno: ORG, action: 'terms.accept' });
    expect(entry).toMatchObject({ actor: { kind: 'person', id: DEMO_ADMIN.pid }, after: { version: '2026-1', url: TERMS } });

    const { integration } = await pv.portvakt.integrations.create('all', ORG, newIntegration, cli);
    expect(integration.client_orgno).toBe(ORG);
  });

  it('a new version of the terms is accepted again before the next integration', async () => {
    pv = await pv.restart({ PORTVAKT_TERMS_VERSION: '2026-2' });
    await expect(pv.portvakt.integrations.create('all', ORG, newIntegration, cli)).rejects.toThrow(/has not accepted the terms of use \(version 2026-2/);
    await pv.portvakt.terms.accept({ orgnos: new Set([ORG]) }, ORG, { kind: 'person', id: DEMO_ADMIN.pid });
    await expect(pv.portvakt.integrations.create('all', ORG, newIntegration, cli)).resolves.toBeDefined();
  });

  it('only the organisation\'s own administrator accepts: not the service desk, not another organisation', async () => {
    const desk = testPersons[1]!;
    await pv.portvakt.organisations.grant(desk.pid, 'service_desk');
    const atDesk = await portalLogin(pv.issuer, desk.pid);
    const refused = await atDesk.browser.post(`${pv.issuer}/portal/orgs/${ORG}/terms`, { csrf: atDesk.csrf, agree: 'yes' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(`only an administrator of ${ORG} accepts its terms of use`);
    const stranger = testPersons[3]!;
    await pv.portvakt.organisations.upsert({ orgno: '974760673', name: 'Brønnøysundregistrene' });
    await pv.portvakt.organisations.grant(stranger.pid, 'integration_admin', '974760673');
    const other = await portalLogin(pv.issuer, stranger.pid);
    expect((await other.browser.post(`${pv.issuer}/portal/orgs/${ORG}/terms`, { csrf: other.csrf, agree: 'yes' })).status).toBe(404);
    expect((await pv.portvakt.audit.list({ orgno: ORG, action: 'terms.accept' })).map((e) => e.actor.id)).toEqual([DEMO_ADMIN.pid, DEMO_ADMIN.pid]);
  });
});

describe('in a test environment', () => {
  let pv: TestPortvakt;
  beforeAll(async () => { pv = await startPortvakt({ env: { PORTVAKT_TERMS_URL: TERMS } }); });
  afterAll(async () => pv?.close());

  it('the terms are shown and may be accepted, but integrations need not wait for them', async () => {
    await expect(pv.portvakt.integrations.create('all', ORG, { ...newIntegration, redirect_uris: ['http://localhost:3000/cb'] }, cli)).resolves.toBeDefined();
    const admin = await portalLogin(pv.issuer, DEMO_ADMIN.pid);
    const page = await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}`);
    expect(page.body).toContain('I testmiljøet kan dere prøve ut tjenesten før dere godtar dem.');
    expect(page.body).toContain(`href="/portal/orgs/${ORG}/new"`);
  });
});

describe('without terms (no PORTVAKT_TERMS_URL)', () => {
  let pv: TestPortvakt;
  beforeAll(async () => { pv = await startPortvakt(); });
  afterAll(async () => pv?.close());

  it('there is nothing to accept and nothing to wait for', async () => {
    expect(await pv.portvakt.terms.status('all', ORG)).toBeUndefined();
    const admin = await portalLogin(pv.issuer, DEMO_ADMIN.pid);
    expect((await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}`)).body).not.toContain('terms-title');
    await expect(pv.portvakt.terms.accept({ orgnos: new Set([ORG]) }, ORG, { kind: 'person', id: DEMO_ADMIN.pid })).rejects.toThrow('this installation has no terms of use to accept');
  });
});
