// The portal's routes for people: a person administering another organisation can neither read
// nor change an integration, on any route; and without a session there is nothing to see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { CookieBrowser, formField, loginWithTestId } from './helpers/browser.js';
import { portalLogin } from './helpers/portal.js';
import { testPersons } from '../src/identity/test-persons.js';

const ORG_A = '312000008'; // seeded; administered by testPersons[0]
const ORG_B = '974760673';
const OTHER = testPersons[3]!; // administers ORG_B only

let pv: TestPortvakt;
let clientId: string;
let other: CookieBrowser;
let csrf: string;

beforeAll(async () => {
  pv = await startPortvakt();
  await pv.portvakt.organisations.upsert({ orgno: ORG_B, name: 'Brønnøysundregistrene' });
  await pv.portvakt.organisations.grant(OTHER.pid, 'integration_admin', ORG_B);
  clientId = (await pv.portvakt.integrations.create('all', ORG_A, { client_name: 'A sin tjeneste', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' })).integration.client_id;
  other = await loggedIn(OTHER.pid);
  const home = await other.request(`${pv.issuer}/portal`);
  expect(home.body).toContain(`Logget inn som ${OTHER.pid}`);
  csrf = /name="csrf" value="([^"]+)"/.exec(home.body)![1]!;
});
afterAll(async () => pv?.close());

/** A browser logged in to the portal as the person with this pid. */
const loggedIn = async (pid: string): Promise<CookieBrowser> => (await portalLogin(pv.issuer, pid)).browser;

describe('another organisation\'s administrator', () => {
  it.each([
    ['GET', () => `/portal/orgs/${ORG_A}`],
    ['GET', () => `/portal/orgs/${ORG_A}/new`],
    ['POST', () => `/portal/orgs/${ORG_A}/new`],
    ['GET', () => `/portal/clients/${clientId}`],
    ['POST', () => `/portal/clients/${clientId}`],
    ['POST', () => `/portal/clients/${clientId}/secret`],
    ['POST', () => `/portal/clients/${clientId}/active`],
    ['POST', () => `/portal/clients/${clientId}/delete`],
    ['POST', () => `/portal/clients/${clientId}/keys`],
    ['POST', () => `/portal/clients/${clientId}/keys/remove`],
    ['POST', () => `/portal/clients/${clientId}/onbehalfof`],
    ['POST', () => `/portal/clients/${clientId}/onbehalfof/remove`],
    ['GET', () => `/portal/clients/${clientId}/verification`],
    ['POST', () => `/portal/clients/${clientId}/verification/idle_timeout`],
    ['GET', () => '/portal/desk'],
  ])('%s %s → 404, and nothing changed', async (method, path) => {
    const form = { csrf, client_name: 'Kapret', redirect_uris: 'http://localhost:9/cb', active: 'no', kid: 'k', key: '{}', onbehalfof: 'kapret', name: 'Kapret' };
    const answer = method === 'GET' ? await other.request(`${pv.issuer}${path()}`) : await other.post(`${pv.issuer}${path()}`, form);
    expect(answer.status).toBe(404);
    const still = await pv.portvakt.integrations.get('all', clientId);
    expect(still).toMatchObject({ client_name: 'A sin tjeneste', active: true });
    expect(still.onbehalfof ?? []).toEqual([]);
    expect((await pv.portvakt.integrations.list('all', { orgno: ORG_A })).map((i) => i.client_name)).not.toContain('Kapret');
  });

  it('sees only their own organisation on the start page', async () => {
    const home = await other.request(`${pv.issuer}/portal`);
    expect(home.body).toContain('Brønnøysundregistrene');
    expect(home.body).not.toContain('Demo Organisasjon AS');
  });
});

describe('text the database cannot hold (a NUL character)', () => {
  it.each([`/portal/clients/a%00b`, `/portal/orgs/%00`, `/portal/orgs/%00/new`])('GET %s → 404', async (path) => {
    expect((await other.request(`${pv.issuer}${path}`)).status).toBe(404);
  });

  it('in a new integration\'s name → 400 on the form, naming the field; nothing stored', async () => {
    const answer = await other.post(`${pv.issuer}/portal/orgs/${ORG_B}/new`, { csrf, client_name: 'Tjeneste\u0000', integration_type: 'idporten', application_type: 'web', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: 'http://localhost:9/cb' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/id="client_name-error"[^>]*>[^<]*NUL/);
    expect(await pv.portvakt.integrations.list('all', { orgno: ORG_B })).toEqual([]);
  });
});

describe('without a session', () => {
  it.each([`/portal/orgs/${ORG_A}`, '/portal/desk', '/portal/clients/x'])('GET %s goes to the start page', async (path) => {
    const answer = await new CookieBrowser().request(`${pv.issuer}${path}`);
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${pv.issuer}/portal`);
  });

  it('a forged session cookie is no session', async () => {
    const response = await fetch(`${pv.issuer}/portal/orgs/${ORG_A}`, { redirect: 'manual', headers: { cookie: 'portvakt_portal=v1.AAAA.BBBB.CCCC' } });
    expect(response.status).toBe(303);
  });
});

describe('the service desk', () => {
  it('shows the first 100 integrations a search matches, and how many it matched', async () => {
    const desk = testPersons[4]!;
    await pv.portvakt.organisations.grant(desk.pid, 'service_desk');
    for (let i = 0; i < 105; i++) {
      await pv.portvakt.integrations.create('all', ORG_B, { client_name: `Mange tjenester ${i}`, redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    }
    const browser = await loggedIn(desk.pid);
    const page = await browser.request(`${pv.issuer}/portal/desk?q=mange`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Treff (100 / 105)');
    expect(page.body.match(/Mange tjenester \d+/g)).toHaveLength(100);
    const narrow = await browser.request(`${pv.issuer}/portal/desk?q=${encodeURIComponent('mange tjenester 10')}`);
    expect(narrow.body).toMatch(/<h2>Treff<\/h2>/); // 10, 100–104: all shown
    expect(narrow.body.match(/Mange tjenester \d+/g)).toHaveLength(6);
  });
});

describe('the service desk\'s view of integrations failing lately', () => {
  it('lists an integration whose token calls fail, with its organisation, how often, its last error, and a link to its failures', async () => {
    const { integration } = await pv.portvakt.integrations.create('all', ORG_A, { client_name: 'Feiler ofte', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    for (let i = 0; i < 3; i++) {
      await fetch(`${pv.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${integration.client_id}:not-the-secret`).toString('base64')}` }, body: 'grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb' });
    }
    const desk = testPersons[4]!;
    await pv.portvakt.organisations.grant(desk.pid, 'service_desk');
    const browser = await loggedIn(desk.pid);
    const page = await browser.request(`${pv.issuer}/portal/desk`);
    expect(page.status).toBe(200);
    const row = new RegExp(`<tr><td><a href="/portal/clients/${integration.client_id}\\?events=failures#events-title">Feiler ofte</a><br/><code class="client-id">${integration.client_id}</code></td><td>${ORG_A}</td><td>3</td><td><code>invalid_client</code></td>`);
    expect(page.body).toMatch(row);

    // An organisation's administrator has no desk, and the domain says no to anyone but the desk.
    expect((await other.request(`${pv.issuer}/portal/desk`)).status).toBe(404);
    await expect(pv.portvakt.integrations.failing({ orgnos: new Set([ORG_A]) })).rejects.toThrow(/only the service desk/);
  });
});

describe('the service desk and an error reference a person quotes', () => {
  it('finds the failed request it names: when, which integration, what went wrong', async () => {
    const { integration } = await pv.portvakt.integrations.create('all', ORG_A, { client_name: 'Referert tjeneste', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    // An unregistered redirect_uri: the person gets an error page with a reference to quote.
    const query = new URLSearchParams({ client_id: integration.client_id, response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:3000/other', state: 's', nonce: 'n', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
    const errorPage = await (await fetch(`${pv.issuer}/authorize?${query}`)).text();
    const reference = /<code class="reference">([0-9a-f]{12})<\/code>/.exec(errorPage)![1]!;

    const desk = testPersons[4]!;
    await pv.portvakt.organisations.grant(desk.pid, 'service_desk');
    const browser = await loggedIn(desk.pid);
    const found = await browser.request(`${pv.issuer}/portal/desk?q=${reference.toUpperCase()}`); // as a person might read it out
    expect(found.body).toContain(`<h2 id="reference-title">Feilreferanse ${reference}</h2>`);
    const section = /<dl class="facts" id="reference">([\s\S]*?)<\/dl>/.exec(found.body)![1]!;
    expect(section).toContain(`>Referert tjeneste</a><br/><code class="client-id">${integration.client_id}</code>`);
    expect(section).toContain(`<dd>${ORG_A}</dd>`);
    expect(section).toContain('<code>invalid_redirect_uri</code>');
    expect(section).toContain('redirect_uri=<code>http://localhost:3000/other</code>');

    const unknown = await browser.request(`${pv.issuer}/portal/desk?q=0123456789ab`);
    expect(unknown.body).toContain('Ingen hendelse har denne referansen.');
    expect(unknown.body).not.toContain('<h2>Treff'); // no empty list of integrations under it
    await expect(pv.portvakt.integrations.withReference({ orgnos: new Set([ORG_A]) }, reference)).rejects.toThrow(/only the service desk/);
  });
});

describe('two people (or a person and a script) changing one integration', () => {
  it('the later save of a form opened before the other change is refused and shows what is there now; sent again, it is saved', async () => {
    const admin = await loggedIn(testPersons[0]!.pid);
    const { integration } = await pv.portvakt.integrations.create('all', ORG_A, { client_name: 'Felles', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const url = `${pv.issuer}/portal/clients/${integration.client_id}`;
    const opened = await admin.request(url);
    const form = (html: string, clientName: string) => ({ csrf: formField(html, 'csrf')!, version: formField(html, 'version')!, client_name: clientName, application_type: 'web', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: 'http://localhost:3000/cb', post_logout_redirect_uris: '' });
    expect(formField(opened.body, 'version')).toBeTruthy();

    // Meanwhile a script changes it through the API's domain.
    await pv.portvakt.integrations.update('all', integration.client_id, { client_name: 'Endret av skript', redirect_uris: ['http://localhost:3000/cb', 'http://localhost:3000/cb2'] }, { kind: 'cli', id: 'script' });

    const refused = await admin.post(url, form(opened.body, 'Endret av person'));
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('Noen andre endret integrasjonen mens du redigerte den');
    expect(refused.body).toContain('value="Endret av skript"');
    expect(await pv.portvakt.integrations.get('all', integration.client_id)).toMatchObject({ client_name: 'Endret av skript', redirect_uris: ['http://localhost:3000/cb', 'http://localhost:3000/cb2'] });

    const saved = await admin.post(url, form(refused.body, 'Endret av person'));
    expect(saved.status).toBe(303);
    expect((await pv.portvakt.integrations.get('all', integration.client_id)).client_name).toBe('Endret av person');
  });
});

describe('an API client (integration_type maskinporten) in the portal', () => {
  it('registered for client credentials, keeps that grant when its name and access are changed on its page', async () => {
    const admin = await loggedIn(testPersons[0]!.pid);
    const { integration } = await pv.portvakt.integrations.create('all', ORG_A, {
      client_name: 'Gammel robot', integration_type: 'maskinporten', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], scopes: ['idporten:dcr.read', 'idporten:dcr.modify'],
    }, { kind: 'cli', id: 'test' });
    const url = `${pv.issuer}/portal/clients/${integration.client_id}`;
    const page = await admin.request(url);
    expect(page.body).not.toContain('name="redirect_uris"'); // a machine has none
    expect(page.body).toMatch(/name="scopes" value="idporten:dcr.modify" checked/);
    expect(page.body).toContain('Denne er registrert for client credentials'); // not told to send a JWT grant it cannot use
    const field = (name: string) => formField(page.body, name);
    const body = new URLSearchParams({ csrf: field('csrf')!, version: field('version')!, client_name: 'Ny robot' });
    body.append('scopes', 'idporten:dcr.read');
    body.append('scopes', 'idporten:dcr.write');
    body.append('scopes', 'openid'); // no box offers it: dropped
    const saved = await admin.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(saved.status).toBe(303);
    expect(await pv.portvakt.integrations.get('all', integration.client_id)).toMatchObject({
      client_name: 'Ny robot', scopes: ['idporten:dcr.read', 'idporten:dcr.write'], grant_types: ['client_credentials'], integration_type: 'maskinporten', token_endpoint_auth_method: 'private_key_jwt',
    });
  });
});

describe('verification tests', () => {
  it('the integration\'s page links to them; a test the service has done is passed, with when, and what is missing for another is said', async () => {
    const admin = await loggedIn(testPersons[0]!.pid);
    const created = await pv.portvakt.integrations.create('all', ORG_A, { client_name: 'Verifisert tjeneste', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const id = created.integration.client_id;
    const page = await admin.request(`${pv.issuer}/portal/clients/${id}`);
    expect(page.body).toContain(`<a href="/portal/clients/${id}/verification">Verifikasjonstester</a>`);

    const before = await admin.request(`${pv.issuer}/portal/clients/${id}/verification`);
    expect(before.status).toBe(200);
    expect(before.body).toContain('<h1>Verifikasjonstester for Verifisert tjeneste</h1>');
    expect(before.body).toContain('Obligatoriske tester som gjenstår: 1, 3, 6, 7, 8.');
    expect(before.body).toContain(`href="${pv.issuer}/demo"`);
    expect(before.body).toMatch(/id="test-7" data-status="not_yet">[\s\S]*Registrer en adresse for front-channel-utlogging/);
    expect(before.body).toMatch(/id="test-8" data-status="check_yourself">[\s\S]*Sjekk selv/);
    expect(before.body).toContain(`GET ${pv.issuer}/api/v1/clients/${id}/verification`);

    // The service logs someone in with ui_locales: test 11 (in English, on the page in English).
    const query = new URLSearchParams({ client_id: id, response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:3000/cb', state: 's', nonce: 'n', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ui_locales: 'nn' });
    await loginWithTestId(new CookieBrowser(), `${pv.issuer}/authorize?${query}`, 'http://localhost:3000/cb');
    const after = await admin.request(`${pv.issuer}/portal/clients/${id}/verification?lang=en`);
    expect(after.body).toMatch(/id="test-11" data-status="passed">[\s\S]*Passed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

    // Test 8 is the owner's to confirm, with the form on its entry (and the session's CSRF token).
    const adminCsrf = formField(after.body, 'csrf')!;
    const confirmed = await admin.post(`${pv.issuer}/portal/clients/${id}/verification/idle_timeout`, { csrf: adminCsrf, confirmed: 'yes' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.location).toBe(`${pv.issuer}/portal/clients/${id}/verification#test-8`);
    const shown = await admin.request(`${pv.issuer}/portal/clients/${id}/verification`);
    expect(shown.body).toMatch(/id="test-8" data-status="confirmed">[\s\S]*Bekreftet av dere \d{4}-/);
    expect(shown.body).toContain('Obligatoriske tester som gjenstår: 1, 3, 6, 7.');
    expect((await pv.portvakt.audit.list({ clientId: id, action: 'verification.confirm' }))[0]!.actor).toMatchObject({ kind: 'person', id: testPersons[0]!.pid });
    expect((await admin.post(`${pv.issuer}/portal/clients/${id}/verification/idle_timeout`, { confirmed: 'no' })).status).toBe(403); // no CSRF token
    await admin.post(`${pv.issuer}/portal/clients/${id}/verification/idle_timeout`, { csrf: adminCsrf, confirmed: 'no' });
    expect((await admin.request(`${pv.issuer}/portal/clients/${id}/verification`)).body).toMatch(/id="test-8" data-status="check_yourself">/);
  });
});

describe('a supplier\'s customers (onbehalfof) on an integration\'s page', () => {
  it('are added and removed one by one; a value that cannot be used is refused on the page, nothing changed', async () => {
    const admin = await loggedIn(testPersons[0]!.pid);
    const { integration } = await pv.portvakt.integrations.create('all', ORG_A, { client_name: 'Leverandørtjeneste', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' });
    const url = `${pv.issuer}/portal/clients/${integration.client_id}`;
    const page = await admin.request(url);
    expect(page.body).toContain('Ingen kunder registrert.');
    const adminCsrf = formField(page.body, 'csrf')!;

    const added = await admin.post(`${url}/onbehalfof`, { csrf: adminCsrf, onbehalfof: 'kommune-b', name: 'Kommune B', orgno: '974760673' });
    expect(added.status).toBe(303);
    expect((await pv.portvakt.integrations.get('all', integration.client_id)).onbehalfof).toEqual([{ onbehalfof: 'kommune-b', name: 'Kommune B', orgno: '974760673' }]);
    expect((await admin.request(url)).body).toContain('<code>kommune-b</code> – Kommune B (974760673)');

    const refused = await admin.post(`${url}/onbehalfof`, { csrf: adminCsrf, onbehalfof: 'med mellomrom', name: 'X' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/role="alert"><p>onbehalfof\.1\.onbehalfof must be 1 to 100 characters/);
    const twice = await admin.post(`${url}/onbehalfof`, { csrf: adminCsrf, onbehalfof: 'kommune-b', name: 'Igjen' });
    expect(twice.status).toBe(400);
    expect(twice.body).toContain('registered already');

    const removed = await admin.post(`${url}/onbehalfof/remove`, { csrf: adminCsrf, onbehalfof: 'kommune-b' });
    expect(removed.status).toBe(303);
    expect((await pv.portvakt.integrations.get('all', integration.client_id)).onbehalfof).toEqual([]);
  });
});
