// How many times a login goes to Redis, counted on the real server (MONITOR, this Portvakt's keys
// only). With Redis every node shares the provider's state, and each round trip is paid on the
// request's path; the count is pinned here so that one more has to be a decision, not an accident.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { testClients, testScopes, REDIRECT, secrets } from './helpers/clients.js';
import { CookieBrowser, loginWithTestId } from './helpers/browser.js';
import { PKCE, redeemCode } from './helpers/headless.js';

let pv: TestPortvakt;
beforeAll(async () => {
  pv = await startPortvakt({ clients: (await testClients()).clients, scopes: testScopes });
});
afterAll(async () => pv?.close());

async function loginOnThePage(): Promise<void> {
  const url = `${pv.issuer}/authorize?${new URLSearchParams({ client_id: 'basic-client', response_type: 'code', scope: 'openid profile', redirect_uri: REDIRECT, state: 's', nonce: 'n', code_challenge: PKCE.challenge, code_challenge_method: 'S256' })}`;
  const callback = await loginWithTestId(new CookieBrowser(), url, REDIRECT);
  const token = await redeemCode(pv.issuer, { client_id: 'basic-client', secret: secrets.basic, code: new URL(callback).searchParams.get('code')!, redirect_uri: REDIRECT });
  expect(token.status).toBe(200);
}

/**
 * The round trips this Portvakt makes to Redis while `work` runs, each as its command and the model
 * of its first key: a MULTI … EXEC block is one trip, a script's own commands are part of its call.
 */
async function roundTrips(work: () => Promise<void>): Promise<string[]> {
  const prefix = pv.redisPrefix!;
  const monitor = await new Redis(process.env.REDIS_URL!).monitor();
  const trips: string[] = [];
  let block: string[] | undefined; // the commands of an open MULTI
  monitor.on('monitor', (_time: string, args: unknown[], source: string) => {
    if (source === 'lua') return;
    const [command, ...rest] = args.map(String);
    const model = rest.find((arg) => arg.startsWith(prefix))?.slice(prefix.length).split(':')[0];
    const name = command!.toLowerCase();
    if (name === 'multi') block = [];
    else if (name === 'exec' && block) {
      if (block.length) trips.push(`multi ${block[0]}`);
      block = undefined;
    } else if (model) {
      if (block) block.push(model);
      else trips.push(`${name} ${model}`);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 100)); // MONITOR is on
  await work();
  await new Promise((resolve) => setTimeout(resolve, 200)); // what the last answer wrote after it was sent
  monitor.disconnect();
  return trips;
}

describe('store round trips per login (Redis)', () => {
  it('a login on the TestID page and its token call: 10 (9 for a client without refresh tokens)', async () => {
    await loginOnThePage(); // scripts loaded, clients cached
    const trips = await roundTrips(loginOnThePage);
    expect(trips).toEqual([
      'multi Interaction', // /authorize: the interaction, and its page in the same answer
      'hgetall Interaction', // the form posted, checked against its interaction
      'del Interaction', // resumed in the same request, with that interaction and its answer
      'multi Grant',
      'multi AuthorizationCode',
      'multi Session',
      'hgetall AuthorizationCode', // /token
      'hgetall Grant',
      'evalsha AuthorizationCode', // consumed, once
      'multi AccessToken',
      'multi RefreshToken', // this client may refresh
    ]);
  });
});
