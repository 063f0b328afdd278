// Production requests (onboarding/production-requests.ts) where the operator wants the service desk
// to approve new production integrations (PORTVAKT_INTEGRATION_APPROVAL=desk): an organisation's
// administrator sends one with its test client_id and planning, the desk approves it (the
// integration is made, no secret shown) or rejects it with a reason, and the administrator fetches
// the secret once — which then works at the token endpoint. Nobody else sees or decides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { portalLogin } from './helpers/portal.js';
import { apiClient } from './helpers/clients.js';
import { headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';
import { DEMO_ADMIN, DEMO_ORGANISATION } from '../src/app.js';
import { testPersons } from '../src/identity/test-persons.js';

const TEST_PORTAL = 'https://test.portvakt.example';
const PRODUCTION = {
  PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_DEMO: 'true', PORTVAKT_SECRET: 'a-production-root-secret-0123456789abcdef',
  PORTVAKT_TERMS_URL: 'https://operator.example/bruksvilkar', PORTVAKT_INTEGRATION_APPROVAL: 'desk', PORTVAKT_TEST_PORTAL_URL: `${TEST_PORTAL}/`,
};
const ORG = DEMO_ORGANISATION.orgno;
const OTHER_ORG = '974760673';
const DESK = testPersons[1]!;
const OTHER = testPersons[3]!; // administers OTHER_ORG only
const REDIRECT = 'https://tjeneste.example/callback';
const TEST_CLIENT_ID = '7c2ae5c8-5e04-4f0a-9d55-0d7d3b1f0b7e';

/** A day `days` from today, as the form's date field sends it. */
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
/** The request form as a browser posts it. */
const form = (csrf: string, overrides: Record<string, string> = {}) => ({
  csrf, client_name: 'Søknad om startlån', integration_type: 'idporten', application_type: 'web', token_endpoint_auth_method: 'client_secret_basic',
  redirect_uris: REDIRECT, post_logout_redirect_uris: 'https://tjeneste.example/logget-ut', frontchannel_logout_uri: '',
  test_client_id: TEST_CLIENT_ID, go_live: day(30), description: 'Søknad om startlån for innbyggere i kommunen.', volume: 'Omtrent 2 000 innlogginger i måneden, mest i januar.',
  ...overrides,
});
const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

let pv: TestPortvakt;
let orgApi: Awaited<ReturnType<typeof apiClient>>;
let admin: Awaited<ReturnType<typeof portalLogin>>;
let desk: Awaited<ReturnType<typeof portalLogin>>;

beforeAll(async () => {
  orgApi = await apiClient('org-api', ORG, ['idporten:dcr.read', 'idporten:dcr.write', 'idporten:dcr.modify']);
  pv = await startPortvakt({ env: PRODUCTION, clients: [orgApi.registration] });
  await pv.portvakt.organisations.upsert({ orgno: OTHER_ORG, name: 'Brønnøysundregistrene' });
  await pv.portvakt.organisations.grant(OTHER.pid, 'integration_admin', OTHER_ORG);
  await pv.portvakt.organisations.grant(DESK.pid, 'service_desk');
  admin = await portalLogin(pv.issuer, DEMO_ADMIN.pid);
  desk = await portalLogin(pv.issuer, DESK.pid);
});
afterAll(async () => pv?.close());

/** The self-service API, called by the organisation's API client. */
async function callApi(method: string, path: string, body?: unknown): Promise<Response> {
  const config = await oidc.discovery(new URL(pv.issuer), 'org-api', {}, oidc.PrivateKeyJwt({ key: orgApi.privateKey, kid: orgApi.kid }), { execute: [oidc.allowInsecureRequests] });
  const token = (await oidc.clientCredentialsGrant(config, { scope: 'idporten:dcr.read idporten:dcr.write idporten:dcr.modify' })).access_token;
  return fetch(`${pv.issuer}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Sends a valid request as the organisation's administrator; its path and id. */
async function sendRequest(overrides: Record<string, string> = {}): Promise<{ path: string; id: string }> {
  const sent = await admin.browser.post(`${pv.issuer}/portal/orgs/${ORG}/request`, form(admin.csrf, overrides));
  expect(sent.status, sent.body).toBe(303);
  const path = new URL(sent.location!, pv.issuer).pathname;
  expect(path).toMatch(/^\/portal\/requests\/\d+$/);
  return { path, id: path.split('/').pop()! };
}

describe('where the desk approves new integrations', () => {
  it('an organisation asks first for the terms of use, and its own calls cannot create an integration', async () => {
    // The terms come first, as for any production integration.
    const early = await admin.browser.post(`${pv.issuer}/portal/orgs/${ORG}/request`, form(admin.csrf));
    expect(early.status).toBe(400);
    expect(early.body).toContain(`${ORG} has not accepted the terms of use`);
    expect((await admin.browser.post(`${pv.issuer}/portal/orgs/${ORG}/terms`, { csrf: admin.csrf, agree: 'yes' })).status).toBe(303);

    const page = await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}`);
    expect(page.body).toContain(`href="/portal/orgs/${ORG}/request">Bestill ny integrasjon</a>`);
    expect(page.body).not.toContain(`href="/portal/orgs/${ORG}/new"`);
    const toRequest = await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}/new?type=maskinporten`);
    expect(toRequest.status).toBe(303);
    expect(new URL(toRequest.location!, pv.issuer).href).toBe(`${pv.issuer}/portal/orgs/${ORG}/request?type=maskinporten`);

    // From the test environment's verification page: the test client_id and the name come filled in.
    const linked = await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}/request?test_client_id=${TEST_CLIENT_ID}&client_name=${encodeURIComponent('Søknad <om> lån')}`);
    expect(linked.body).toContain(`name="test_client_id" value="${TEST_CLIENT_ID}"`);
    expect(linked.body).toContain('name="client_name" value="Søknad &lt;om> lån"');

    // Posting the old form, or calling the API with the organisation's own client, is refused with the way to ask.
    const direct = await admin.browser.post(`${pv.issuer}/portal/orgs/${ORG}/new`, { csrf: admin.csrf, client_name: 'Snarvei', redirect_uris: REDIRECT });
    expect(direct.status).toBe(400);
    expect(direct.body).toContain('are made by the service desk from a production request');
    const api = await callApi('POST', '/clients', { client_name: 'Snarvei', redirect_uris: [REDIRECT] });
    expect(api.status).toBe(403);
    expect((await api.json()).error_description).toBe(`new integrations for ${ORG} in this environment are made by the service desk from a production request; an administrator of the organisation sends one in the portal (New integration)`);
    expect((await pv.portvakt.integrations.list('all', { orgno: ORG })).map((i) => i.client_name)).not.toContain('Snarvei');
  });

  it('a request with something wrong comes back with what is wrong beside the field, and what was typed kept', async () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ redirect_uris: 'http://tjeneste.example/callback' }, 'redirect_uris', 'https'],
      [{ go_live: day(-1) }, 'go_live', 'go_live is in the past'],
      [{ go_live: '2026-02-30' }, 'go_live', 'go_live must be a date written YYYY-MM-DD'],
      [{ description: '  ' }, 'description', 'description is required'],
      [{ test_client_id: 'to ord' }, 'test_client_id', 'test_client_id is a client_id, without spaces'],
      [{ volume: 'x'.repeat(1001) }, 'volume', 'volume is longer than 1000 characters'],
      [{ description: 'nul\u0000' }, 'description', 'description holds a NUL character'],
    ];
    for (const [overrides, field, message] of cases) {
      const response = await admin.browser.post(`${pv.issuer}/portal/orgs/${ORG}/request`, form(admin.csrf, overrides));
      expect(response.status, JSON.stringify(overrides)).toBe(400);
      expect(response.body).toMatch(new RegExp(`<p id="${field}-error" class="ds-validation-message" data-field="validation">[^<]*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(response.body).toContain(`<a href="#${field}">`);
      expect(response.body).toContain('value="Søknad om startlån"'); // kept
      if (!overrides.volume) expect(response.body).toContain('>Omtrent 2 000 innlogginger i måneden, mest i januar.</textarea>');
    }
    expect(await pv.portvakt.productionRequests.list('all')).toEqual([]);
  });

  it('is approved by the desk, and the organisation\'s administrator fetches the secret once, which then works', async () => {
    const { path, id } = await sendRequest();
    const sent = await admin.browser.request(`${pv.issuer}${path}`);
    expect(sent.body).toContain('<strong id="request-status">Venter på brukerstøtte</strong>');
    expect(textOf(sent.body)).toContain(`client_id i testmiljøet ${TEST_CLIENT_ID}`);
    expect(sent.body).not.toContain(TEST_PORTAL); // the link to the test environment's desk is the desk's
    expect((await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG}`)).body).toContain(`<a href="/portal/requests/${id}">Søknad om startlån</a>`);
    expect((await admin.browser.request(`${pv.issuer}/portal`)).body).toContain(`<a href="/portal/requests/${id}">Søknad om startlån</a>`); // and on the start page
    // The operator's monitoring sees it waiting.
    expect(await pv.portvakt.metrics.render()).toMatch(/^portvakt_desk_waiting_requests\{queue="production_requests"\} 1$/m);

    // The organisation cannot approve its own request; another organisation cannot see it.
    const selfApproved = await admin.browser.post(`${pv.issuer}${path}/approve`, { csrf: admin.csrf });
    expect(selfApproved.status).toBe(400);
    expect(selfApproved.body).toContain('only the service desk approves production requests');
    const other = await portalLogin(pv.issuer, OTHER.pid);
    expect((await other.browser.request(`${pv.issuer}${path}`)).status).toBe(404);
    expect((await other.browser.post(`${pv.issuer}${path}/withdraw`, { csrf: other.csrf })).status).toBe(404);

    // The desk sees it waiting, with the test integration's verification tests a click away, and approves it.
    expect((await desk.browser.request(`${pv.issuer}/portal/desk`)).body).toMatch(new RegExp(`<a href="/portal/requests/${id}">Søknad om startlån</a></td><td>${ORG}</td><td>${day(30)}</td><td>Venter på brukerstøtte</td>`));
    const atDesk = await desk.browser.request(`${pv.issuer}${path}`);
    expect(atDesk.body).toContain(`href="${TEST_PORTAL}/portal/clients/${TEST_CLIENT_ID}/verification"`);
    const approved = await desk.browser.post(`${pv.issuer}${path}/approve`, { csrf: desk.csrf });
    expect(approved.status).toBe(303);
    const request = await pv.portvakt.productionRequests.get('all', id);
    expect(request).toMatchObject({ status: 'approved', decided_by: DESK.pid, test_client_id: TEST_CLIENT_ID, go_live: day(30) });
    expect(await pv.portvakt.metrics.render()).toMatch(/^portvakt_desk_waiting_requests\{queue="production_requests"\} 0$/m);
    const integration = await pv.portvakt.integrations.get('all', request.client_id!);
    expect(integration).toMatchObject({ client_name: 'Søknad om startlån', client_orgno: ORG, redirect_uris: [REDIRECT], post_logout_redirect_uris: ['https://tjeneste.example/logget-ut'], token_endpoint_auth_method: 'client_secret_basic' });

    // Approving again makes no second integration.
    const again = await desk.browser.post(`${pv.issuer}${path}/approve`, { csrf: desk.csrf });
    expect(again.status).toBe(400);
    expect(again.body).toContain(`production request ${id} is no longer pending (it is approved)`);
    expect((await pv.portvakt.integrations.list('all', { orgno: ORG })).filter((i) => i.client_name === 'Søknad om startlån')).toHaveLength(1);

    // The desk never has the secret: its pages do not show one, and it cannot fetch it.
    const deskView = await desk.browser.request(`${pv.issuer}${path}`);
    expect(deskView.body).toContain('Virksomheten har ikke hentet klienthemmeligheten ennå');
    expect(deskView.body).not.toContain(`${path}/credentials`);
    const deskFetch = await desk.browser.post(`${pv.issuer}${path}/credentials`, { csrf: desk.csrf });
    expect(deskFetch.status).toBe(400);
    expect(deskFetch.body).toContain(`only an administrator of ${ORG} fetches its production credentials`);
    expect(deskFetch.body).not.toContain('id="client-secret"');

    // The administrator fetches it: shown once, and it is the secret the token endpoint takes.
    const orgView = await admin.browser.request(`${pv.issuer}${path}`);
    expect(orgView.body).toContain(`<code id="approved-client-id">${integration.client_id}</code>`);
    const fetched = await admin.browser.post(`${pv.issuer}${path}/credentials`, { csrf: admin.csrf });
    expect(fetched.status).toBe(200);
    const secret = /<code id="client-secret" class="secret">([^<]+)<\/code>/.exec(fetched.body)?.[1];
    expect(secret).toMatch(/^[\w-]{43}$/);
    const code = await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: integration.client_id, redirect_uri: REDIRECT }));
    expect(code).toBeTruthy();
    const tokens = await redeemCode(pv.issuer, { client_id: integration.client_id, secret: secret!, code: code!, redirect_uri: REDIRECT });
    expect(tokens.status).toBe(200);

    // Once: a second fetch says where a lost one is replaced, and the first secret keeps working.
    const second = await admin.browser.post(`${pv.issuer}${path}/credentials`, { csrf: admin.csrf });
    expect(second.status).toBe(400);
    expect(second.body).toContain('was fetched already');
    expect(second.body).not.toContain('id="client-secret"');
    expect((await admin.browser.request(`${pv.issuer}${path}`)).body).toContain('id="credentials-delivered"');
    const code2 = await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: integration.client_id, redirect_uri: REDIRECT }));
    expect((await redeemCode(pv.issuer, { client_id: integration.client_id, secret: secret!, code: code2!, redirect_uri: REDIRECT })).status).toBe(200);

    const audited = (await pv.portvakt.audit.list({ orgno: ORG })).filter((e) => e.action.startsWith('production.') || e.action === 'client.create').map((e) => [e.action, e.actor.id]);
    expect(audited).toEqual([['production.credentials', DEMO_ADMIN.pid], ['production.approve', DESK.pid], ['client.create', DESK.pid], ['production.request', DEMO_ADMIN.pid]]);
    // The secret is in no audit entry.
    expect(JSON.stringify(await pv.portvakt.audit.list({ orgno: ORG }))).not.toContain(secret);
  });

  it('is rejected with a reason the organisation reads, or withdrawn by the organisation', async () => {
    const { path, id } = await sendRequest({ client_name: 'Avslått tjeneste' });
    const noReason = await desk.browser.post(`${pv.issuer}${path}/reject`, { csrf: desk.csrf, reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('reason is required');
    expect((await desk.browser.post(`${pv.issuer}${path}/reject`, { csrf: desk.csrf, reason: 'Verifikasjonstest 7 (front-channel logout) er ikke bestått.' })).status).toBe(303);
    const rejected = await admin.browser.request(`${pv.issuer}${path}`);
    expect(rejected.body).toContain('<strong id="request-status">Avslått</strong>');
    expect(rejected.body).toContain('Brukerstøtte avslo bestillingen: Verifikasjonstest 7 (front-channel logout) er ikke bestått.');
    expect((await admin.browser.post(`${pv.issuer}${path}/withdraw`, { csrf: admin.csrf })).status).toBe(400); // decided already

    const second = await sendRequest({ client_name: 'Trukket tjeneste' });
    const deskWithdraw = await desk.browser.post(`${pv.issuer}${second.path}/withdraw`, { csrf: desk.csrf });
    expect(deskWithdraw.status).toBe(400);
    expect(deskWithdraw.body).toContain(`only an administrator of ${ORG} withdraws its production requests`);
    expect((await admin.browser.post(`${pv.issuer}${second.path}/withdraw`, { csrf: admin.csrf })).status).toBe(303);
    const afterwards = await desk.browser.post(`${pv.issuer}${second.path}/approve`, { csrf: desk.csrf });
    expect(afterwards.status).toBe(400);
    expect(afterwards.body).toContain('is no longer pending (it is withdrawn)');
    expect((await pv.portvakt.productionRequests.get('all', id)).reason).toBe('Verifikasjonstest 7 (front-channel logout) er ikke bestått.');
    expect((await pv.portvakt.integrations.list('all', { orgno: ORG })).map((i) => i.client_name)).not.toContain('Avslått tjeneste');
  });

  it('answers 404 for requests that do not exist or are not numbers, and asks for the session\'s CSRF token', async () => {
    for (const id of ['999999', 'abc', '0', '1'.repeat(40)]) expect((await admin.browser.request(`${pv.issuer}/portal/requests/${id}`)).status).toBe(404);
    const { path } = await sendRequest({ client_name: 'Uten CSRF' });
    const forged = await desk.browser.post(`${pv.issuer}${path}/approve`, {});
    expect(forged.status).toBe(403);
    expect((await pv.portvakt.productionRequests.get('all', path.split('/').pop()!)).status).toBe('pending');
  });

  it('a machine client (API client) is requested too, and needs no secret', async () => {
    const { path, id } = await sendRequest({ client_name: 'Fagsystem', integration_type: 'maskinporten', scopes: 'idporten:dcr.read', redirect_uris: '' });
    await desk.browser.post(`${pv.issuer}${path}/approve`, { csrf: desk.csrf });
    const request = await pv.portvakt.productionRequests.get('all', id);
    expect(await pv.portvakt.integrations.get('all', request.client_id!)).toMatchObject({ integration_type: 'maskinporten', token_endpoint_auth_method: 'private_key_jwt', scopes: ['idporten:dcr.read'] });
    const page = await admin.browser.request(`${pv.issuer}${path}`);
    expect(page.body).toContain('Integrasjonen bruker private_key_jwt og har ingen hemmelighet');
    const fetch = await admin.browser.post(`${pv.issuer}${path}/credentials`, { csrf: admin.csrf });
    expect(fetch.status).toBe(400);
    expect(fetch.body).toContain('it has no secret');
  });
});

describe('through the self-service API', () => {
  const body = (overrides: Record<string, unknown> = {}) => ({
    test_client_id: TEST_CLIENT_ID, go_live: day(14), description: 'Timebestilling hos fastlegen.',
    client: { client_name: 'Timebestilling', redirect_uris: ['https://time.example/callback'] }, ...overrides,
  });

  it('an API client asks, reads what the desk decided, and fetches the secret once', async () => {
    const sent = await callApi('POST', '/production-requests', body());
    expect(sent.status).toBe(201);
    const request = await sent.json();
    expect(request).toMatchObject({ status: 'pending', orgno: ORG, test_client_id: TEST_CLIENT_ID, go_live: day(14), requested_by: 'org-api', client: { client_name: 'Timebestilling' } });
    expect((await (await callApi('GET', '/production-requests')).json()).map((r: { id: string }) => r.id)).toContain(request.id);

    const early = await callApi('POST', `/production-requests/${request.id}/credentials`);
    expect(early.status).toBe(400);
    expect((await early.json()).error_description).toBe(`production request ${request.id} is pending, not approved`);

    await pv.portvakt.productionRequests.approve('all', request.id, { kind: 'person', id: DESK.pid });
    const approved = await (await callApi('GET', `/production-requests/${request.id}`)).json();
    expect(approved).toMatchObject({ status: 'approved', decided_by: DESK.pid });
    const credentials = await callApi('POST', `/production-requests/${request.id}/credentials`);
    expect(credentials.status).toBe(200);
    const integration = await credentials.json();
    expect(integration).toMatchObject({ client_id: approved.client_id, client_name: 'Timebestilling', redirect_uris: ['https://time.example/callback'] });
    expect(integration.client_secret).toMatch(/^[\w-]{43}$/);
    const code = await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: integration.client_id, redirect_uri: 'https://time.example/callback' }));
    expect((await redeemCode(pv.issuer, { client_id: integration.client_id, secret: integration.client_secret, code: code!, redirect_uri: 'https://time.example/callback' })).status).toBe(200);
    expect((await callApi('POST', `/production-requests/${request.id}/credentials`)).status).toBe(400);
  });

  it('says what is wrong with a request (400), and 404 for one that is not there', async () => {
    const cases: Array<[unknown, string, string]> = [
      [[], 'invalid_request', 'the body must be a JSON object'],
      [body({ extra: 1 }), 'invalid_request', 'unknown field "extra"'],
      [body({ go_live: '25.12.2026' }), 'invalid_request', 'go_live must be a date written YYYY-MM-DD'],
      [body({ description: 7 }), 'invalid_request', 'description is required'],
      [body({ client: undefined }), 'invalid_client_metadata', '(body) must be a JSON object'],
      [body({ client: { redirect_uris: ['http://time.example/cb'] } }), 'invalid_client_metadata', 'redirect_uris'],
    ];
    for (const [payload, error, description] of cases) {
      const response = await callApi('POST', '/production-requests', payload);
      expect(response.status, JSON.stringify(payload)).toBe(400);
      const answer = await response.json();
      expect(answer.error).toBe(error);
      expect(answer.error_description).toContain(description);
    }
    for (const id of ['999999', 'x', '-1']) expect((await callApi('GET', `/production-requests/${id}`)).status).toBe(404);
    const broken = await fetch(`${pv.issuer}/api/v1/production-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(broken.status).toBe(400); // broken JSON is refused as such, before anything else
  });
});

describe('in a test environment', () => {
  it('there is no request step: PORTVAKT_INTEGRATION_APPROVAL=desk is refused at start, and requests are refused', async () => {
    await expect(startPortvakt({ env: { PORTVAKT_INTEGRATION_APPROVAL: 'desk' } })).rejects.toThrow('PORTVAKT_INTEGRATION_APPROVAL: desk is for production environments');
    const test = await startPortvakt();
    try {
      const testAdmin = await portalLogin(test.issuer, DEMO_ADMIN.pid);
      expect((await testAdmin.browser.request(`${test.issuer}/portal/orgs/${ORG}`)).body).toContain(`href="/portal/orgs/${ORG}/new"`);
      const refused = await testAdmin.browser.post(`${test.issuer}/portal/orgs/${ORG}/request`, form(testAdmin.csrf));
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('this environment needs no production request');
    } finally {
      await test.close();
    }
  });
});
