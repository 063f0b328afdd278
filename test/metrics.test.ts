// /metrics as an operator's Prometheus scrapes it: requests by route pattern, logins and the
// provider's outcomes by OAuth error code, Node's own metrics; no URLs, codes or people in labels;
// open in test environments, behind a bearer token (or off) in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { headlessAuthorizeUrl, headlessCode } from './helpers/headless.js';
import { DEMO_ADMIN, DEMO_ORGANISATION } from '../src/app.js';


/** The value of one sample (`name{labels} value`) in Prometheus' text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => have[key] === value)) return Number(match[4]);
  }
  return undefined;
}

describe('metrics in a test environment', () => {
  let pv: TestPortvakt;
  beforeAll(async () => { pv = await startPortvakt(); });
  afterAll(async () => pv?.close());

  it('count requests by route pattern, logins by level, token outcomes by OAuth error, and Node itself', async () => {
    const demo = pv.portvakt.demoClient!;
    const code = (await headlessCode(headlessAuthorizeUrl(pv.issuer, { client_id: demo.client_id, redirect_uri: demo.redirect_uris[0]!, acr: 'idporten-loa-high' })))!;
    expect(code).toBeTruthy();
    // A code the token endpoint refuses (unknown client authentication aside: a wrong verifier).
    const basic = `Basic ${Buffer.from(`${demo.client_id}:${demo.client_secret}`).toString('base64')}`;
    const refused = await fetch(`${pv.issuer}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: demo.redirect_uris[0]!, code_verifier: 'x'.repeat(43) }) });
    expect(refused.status).toBe(400);
    await fetch(`${pv.issuer}/health/live`);
    await fetch(`${pv.issuer}/token/introspect`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
    await fetch(`${pv.issuer}/no/such/page/28876895937`);
    // A question the desk has not answered yet, asked a moment ago.
    await pv.portvakt.support.open({ orgnos: new Set([DEMO_ORGANISATION.orgno]) }, { orgno: DEMO_ORGANISATION.orgno, subject: 'Hjelp', text: 'Innloggingen feiler.' }, { kind: 'person', id: DEMO_ADMIN.pid });

    const response = await fetch(`${pv.issuer}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();

    expect(sample(text, 'portvakt_logins_total', { method: 'TestID', acr: 'idporten-loa-high' })).toBe(1);
    expect(sample(text, 'portvakt_http_requests_total', { route: '/authorize', method: 'GET', status: '303' })).toBe(1);
    expect(sample(text, 'portvakt_http_requests_total', { route: '/token', method: 'POST', status: '400' })).toBe(1);
    expect(sample(text, 'portvakt_http_requests_total', { route: '/health/live', method: 'GET', status: '200' })).toBe(1);
    expect(sample(text, 'portvakt_http_requests_total', { route: '/token/introspect', method: 'POST' })).toBe(1); // not /token/*
    expect(sample(text, 'portvakt_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(sample(text, 'portvakt_http_request_duration_seconds_count', { route: '/authorize' })).toBe(1);
    expect(sample(text, 'portvakt_oidc_events_total', { event: 'authorization.success', error: '' })).toBe(1);
    expect(sample(text, 'portvakt_oidc_events_total', { event: 'grant.error', error: 'invalid_grant' })).toBe(1);
    expect(sample(text, 'portvakt_info', { environment: 'test', store: pv.schema ? 'postgres' : 'pglite' })).toBe(1);
    expect(sample(text, 'portvakt_protocol_events_pending')).toBeGreaterThanOrEqual(0); // the login's events, unless written already
    expect(sample(text, 'portvakt_store_pending_writes')).toBeGreaterThanOrEqual(0); // the embedded store writes behind
    expect(sample(text, 'portvakt_protocol_events_lost_total')).toBe(0);
    expect(sample(text, 'portvakt_desk_waiting_requests', { queue: 'support' })).toBe(1);
    expect(sample(text, 'portvakt_desk_oldest_waiting_seconds', { queue: 'support' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'portvakt_desk_oldest_waiting_seconds', { queue: 'support' })).toBeLessThan(60);
    expect(sample(text, 'portvakt_desk_waiting_requests', { queue: 'production_requests' })).toBe(0);
    expect(sample(text, 'portvakt_desk_oldest_waiting_seconds', { queue: 'production_requests' })).toBe(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeDefined();
    // Nothing that identifies a person, a login or a request.
    expect(text).not.toContain('28876895937');
    expect(text).not.toContain(code);
    expect(text).not.toContain('/no/such/page');
  });
});

describe('metrics in production', () => {
  const production = { PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_SECRET: 'a-production-root-secret-0123456789abcdef', PORTVAKT_DEMO: 'true' };

  it('are off without PORTVAKT_METRICS_TOKEN', async () => {
    const pv = await startPortvakt({ env: production });
    try {
      const response = await fetch(`${pv.issuer}/metrics`);
      expect(response.status).toBe(404);
      expect(await response.text()).toContain('PORTVAKT_METRICS_TOKEN');
    } finally {
      await pv.close();
    }
  });

  it('answer only the bearer of PORTVAKT_METRICS_TOKEN', async () => {
    const token = 'scrape-token-0123456789abcdef';
    const pv = await startPortvakt({ env: { ...production, PORTVAKT_METRICS_TOKEN: token } });
    try {
      const scrape = (authorization?: string) => fetch(`${pv.issuer}/metrics`, { headers: authorization ? { authorization } : {} });
      const anonymous = await scrape();
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect((await scrape('Bearer wrong-token-0123456789abcdef')).status).toBe(401);
      expect((await scrape(`Basic ${token}`)).status).toBe(401);
      const allowed = await scrape(`Bearer ${token}`);
      expect(allowed.status).toBe(200);
      expect(sample(await allowed.text(), 'portvakt_info', { environment: 'prod' })).toBe(1);
    } finally {
      await pv.close();
    }
  });
});
