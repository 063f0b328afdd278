// Support requests (onboarding/support.ts) in the portal: an organisation's administrator asks about
// an integration, the service desk sees it waiting with the integration at hand and answers, the
// organisation replies and closes it. Nobody else sees or changes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { portalLogin } from './helpers/portal.js';
import { testPersons } from '../src/identity/test-persons.js';

const ORG_A = '312000008'; // seeded; administered by testPersons[0]
const ORG_B = '974760673';
const ADMIN = testPersons[0]!;
const DESK = testPersons[1]!;
const OTHER = testPersons[3]!; // administers ORG_B only

let pv: TestPortvakt;
let clientId: string;

beforeAll(async () => {
  pv = await startPortvakt();
  await pv.portvakt.organisations.upsert({ orgno: ORG_B, name: 'Brønnøysundregistrene' });
  await pv.portvakt.organisations.grant(OTHER.pid, 'integration_admin', ORG_B);
  await pv.portvakt.organisations.grant(DESK.pid, 'service_desk');
  clientId = (await pv.portvakt.integrations.create('all', ORG_A, { client_name: 'Tjeneste med problemer', redirect_uris: ['http://localhost:3000/cb'] }, { kind: 'cli', id: 'test' })).integration.client_id;
});
afterAll(async () => pv?.close());

const loggedIn = (pid: string) => portalLogin(pv.issuer, pid);

const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('a support request', () => {
  it('is asked from the integration\'s page with its client_id and environment, answered by the desk, replied to and closed', async () => {
    const admin = await loggedIn(ADMIN.pid);
    const page = await admin.browser.request(`${pv.issuer}/portal/clients/${clientId}`);
    expect(page.body).toContain(`href="/portal/support/new?client_id=${clientId}">Kontakt brukerstøtte</a>`);
    const form = await admin.browser.request(`${pv.issuer}/portal/support/new?client_id=${clientId}`);
    expect(textOf(form.body)).toContain(`Gjelder integrasjonen Tjeneste med problemer (client_id ${clientId}) i miljøet test.`);

    // Without a subject the form comes back saying so, with what was written kept.
    const incomplete = await admin.browser.post(`${pv.issuer}/portal/support`, { csrf: admin.csrf, orgno: ORG_A, client_id: clientId, subject: ' ', text: 'Innloggingen feiler' });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body).toContain('subject is required');
    expect(incomplete.body).toContain('>Innloggingen feiler</textarea>');

    const sent = await admin.browser.post(`${pv.issuer}/portal/support`, { csrf: admin.csrf, orgno: ORG_A, client_id: clientId, subject: 'Får invalid_client', text: 'Token-kallet svarer invalid_client.\nHva er galt?' });
    expect(sent.status).toBe(303);
    const path = new URL(sent.location!, pv.issuer).pathname;
    expect(path).toMatch(/^\/portal\/support\/\d+$/);
    const id = path.split('/').pop()!;
    const opened = await admin.browser.request(`${pv.issuer}${path}`);
    expect(opened.body).toContain(`<h1>Sak ${id}: Får invalid_client</h1>`);
    expect(opened.body).toContain('Token-kallet svarer invalid_client.\nHva er galt?'); // line breaks kept (pre-wrap)
    expect(opened.body).toContain('<strong id="support-status">Venter på brukerstøtte</strong>');
    expect((await admin.browser.request(`${pv.issuer}/portal`)).body).toContain(`<a href="/portal/support/${id}">Får invalid_client</a>`);

    // The desk sees it waiting, opens it with the integration's failures a click away, and answers.
    const desk = await loggedIn(DESK.pid);
    const deskPage = await desk.browser.request(`${pv.issuer}/portal/desk`);
    expect(deskPage.body).toMatch(new RegExp(`<a href="/portal/support/${id}">Får invalid_client</a><br/><code class="client-id">${clientId}</code></td><td>${ORG_A}</td><td>Venter på brukerstøtte</td>`));
    const atDesk = await desk.browser.request(`${pv.issuer}${path}`);
    expect(atDesk.body).toContain(`href="/portal/clients/${clientId}?events=failures#events-title"`);
    expect((await desk.browser.post(`${pv.issuer}${path}/reply`, { csrf: desk.csrf, text: 'Dere sender hemmeligheten i skjemaet; klienten er registrert for client_secret_basic.' })).status).toBe(303);
    expect((await desk.browser.request(`${pv.issuer}/portal/desk`)).body).not.toContain(`/portal/support/${id}"`); // no longer waiting

    const answered = await admin.browser.request(`${pv.issuer}${path}`);
    expect(answered.body).toContain('<strong id="support-status">Besvart</strong>');
    expect(textOf(answered.body)).toMatch(/Brukerstøtte · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC Dere sender hemmeligheten/);
    await admin.browser.post(`${pv.issuer}${path}/reply`, { csrf: admin.csrf, text: 'Takk, det virker nå.' });
    expect((await pv.portvakt.support.get('all', id)).status).toBe('open');
    await admin.browser.post(`${pv.issuer}${path}/close`, { csrf: admin.csrf });
    const closed = await pv.portvakt.support.get('all', id);
    expect(closed).toMatchObject({ status: 'closed', orgno: ORG_A, client_id: clientId, environment: 'test' });
    expect(closed.messages.map((m) => [m.from, m.author])).toEqual([['organisation', ADMIN.pid], ['desk', DESK.pid], ['organisation', ADMIN.pid]]);

    const audited = (await pv.portvakt.audit.list({ clientId })).filter((e) => e.action.startsWith('support.')).map((e) => [e.action, e.actor.id]);
    expect(audited).toEqual([['support.close', ADMIN.pid], ['support.reply', ADMIN.pid], ['support.reply', DESK.pid], ['support.open', ADMIN.pid]]);
  });

  it('may be about the organisation rather than one integration', async () => {
    const admin = await loggedIn(ADMIN.pid);
    expect((await admin.browser.request(`${pv.issuer}/portal/orgs/${ORG_A}`)).body).toContain(`href="/portal/support/new?orgno=${ORG_A}"`);
    const sent = await admin.browser.post(`${pv.issuer}/portal/support`, { csrf: admin.csrf, orgno: ORG_A, subject: 'Ny administrator', text: 'Hvordan gir vi en kollega tilgang?' });
    const request = await admin.browser.request(new URL(sent.location!, pv.issuer).href);
    expect(textOf(request.body)).toContain(`Gjelder Demo Organisasjon AS (${ORG_A}) i miljøet test.`);
  });

  it('two replies sent at the same moment are both kept', async () => {
    const opened = await pv.portvakt.support.open({ orgnos: new Set([ORG_A]) }, { orgno: ORG_A, subject: 'Samtidig', text: 'Første' }, { kind: 'person', id: ADMIN.pid });
    await Promise.all([
      pv.portvakt.support.reply('all', opened.id, 'Svar fra brukerstøtte', { kind: 'person', id: DESK.pid }),
      pv.portvakt.support.reply({ orgnos: new Set([ORG_A]) }, opened.id, 'Tillegg fra virksomheten', { kind: 'person', id: ADMIN.pid }),
    ]);
    expect((await pv.portvakt.support.get('all', opened.id)).messages.map((m) => m.text).sort()).toEqual(['Første', 'Svar fra brukerstøtte', 'Tillegg fra virksomheten']);
  });
});

describe('another organisation\'s administrator', () => {
  it('can neither see, answer nor close it, nor ask about another\'s integration: 404, and nothing changed', async () => {
    const opened = await pv.portvakt.support.open({ orgnos: new Set([ORG_A]) }, { orgno: ORG_A, clientId, subject: 'Hemmelig', text: 'Bare for oss' }, { kind: 'person', id: ADMIN.pid });
    const other = await loggedIn(OTHER.pid);
    for (const [method, path] of [['GET', `/portal/support/${opened.id}`], ['POST', `/portal/support/${opened.id}/reply`], ['POST', `/portal/support/${opened.id}/close`], ['GET', `/portal/support/new?client_id=${clientId}`], ['GET', `/portal/support/new?orgno=${ORG_A}`], ['POST', '/portal/support']] as const) {
      const form = { csrf: other.csrf, text: 'Kapret', subject: 'Kapret', orgno: ORG_A, client_id: clientId };
      const answer = method === 'GET' ? await other.browser.request(`${pv.issuer}${path}`) : await other.browser.post(`${pv.issuer}${path}`, form);
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    const still = await pv.portvakt.support.get('all', opened.id);
    expect(still).toMatchObject({ status: 'open', messages: [expect.objectContaining({ text: 'Bare for oss' })] });
    expect((await pv.portvakt.support.list({ orgnos: new Set([ORG_B]) })).map((r) => r.subject)).not.toContain('Kapret');
    expect((await other.browser.request(`${pv.issuer}/portal`)).body).not.toContain('Hemmelig');
  });

  it('a form without the session\'s CSRF token changes nothing', async () => {
    const opened = await pv.portvakt.support.open({ orgnos: new Set([ORG_A]) }, { orgno: ORG_A, subject: 'CSRF', text: 'Tekst' }, { kind: 'person', id: ADMIN.pid });
    const admin = await loggedIn(ADMIN.pid);
    expect((await admin.browser.post(`${pv.issuer}/portal/support/${opened.id}/close`, {})).status).toBe(403);
    expect((await pv.portvakt.support.get('all', opened.id)).status).toBe('open');
  });
});

describe('bad input', () => {
  it('is refused with what was wrong: too long, NUL, an id that is no request', async () => {
    const access = { orgnos: new Set([ORG_A]) };
    const actor = { kind: 'person' as const, id: ADMIN.pid };
    await expect(pv.portvakt.support.open(access, { orgno: ORG_A, subject: 'x'.repeat(201), text: 't' }, actor)).rejects.toThrow('subject is longer than 200 characters');
    await expect(pv.portvakt.support.open(access, { orgno: ORG_A, subject: 's', text: 'a\u0000b' }, actor)).rejects.toThrow('text holds a NUL character');
    await expect(pv.portvakt.support.open(access, { orgno: ORG_A, subject: 's', text: '\ud800' }, actor)).rejects.toThrow(/text is not valid Unicode/);
    await expect(pv.portvakt.support.open(access, { orgno: ORG_B, subject: 's', text: 't' }, actor)).rejects.toThrow(/no support request/);
    for (const id of ['0', 'abc', '1'.repeat(30), '-1', '%00']) await expect(pv.portvakt.support.get('all', id)).rejects.toThrow(/no support request/);
    const admin = await loggedIn(ADMIN.pid);
    expect((await admin.browser.request(`${pv.issuer}/portal/support/99999999`)).status).toBe(404);
    expect((await admin.browser.request(`${pv.issuer}/portal/support/new`)).status).toBe(404); // about nothing
  });
});
