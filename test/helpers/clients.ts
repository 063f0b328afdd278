// Clients the tests declare, one per way of authenticating, in ID-porten's registration format.
import { afterAll, beforeAll } from 'vitest';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { startPortvakt } from './portvakt.js';

export const REDIRECT = 'http://localhost:7777/callback';
export const POST_LOGOUT = 'http://localhost:7777/logged-out';
export const PERSON = '28876895937';

export const secrets = {
  basic: 'basic-secret-0123456789abcdefghijkl',
  post: 'post-secret-0123456789abcdefghijkl',
  nopkce: 'nopkce-secret-0123456789abcdefghijk',
  introspector: 'introspector-secret-0123456789abcdef',
};

const web = { application_type: 'web', redirect_uris: [REDIRECT], post_logout_redirect_uris: [POST_LOGOUT] };

/**
 * An API scope of the tests (profile §7.3): the introspector is its API, which may introspect the
 * tokens that carry it; basic-client may ask for it.
 */
export const TEST_API_SCOPE = 'test:api';
export const testScopes = [
  { name: TEST_API_SCOPE, description: 'The API the tests call', accessible_for_all: true, enforced_aud_for_introspection: ['introspector'] },
];

export async function testClients() {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  const clients = [
    { ...web, client_id: 'basic-client', client_name: 'Basic Tjeneste', integration_type: 'api_klient', scopes: ['openid', 'profile', TEST_API_SCOPE], client_secret: secrets.basic, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'refresh_token'], frontchannel_logout_session_required: true, client_orgno: '991825827' },
    { ...web, client_id: 'post-client', client_secret: secrets.post, token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code', 'refresh_token'], refresh_token_usage: 'REUSE', access_token_lifetime: 300 },
    { ...web, client_id: 'jwt-client', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
    { application_type: 'browser', client_id: 'spa-client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
    { ...web, client_id: 'nopkce-client', client_secret: secrets.nopkce, token_endpoint_auth_method: 'client_secret_basic', code_challenge_method: 'none' },
    { ...web, client_id: 'introspector', integration_type: 'api_klient', scopes: ['openid', 'profile', 'idporten:token.introspection'], client_secret: secrets.introspector, token_endpoint_auth_method: 'client_secret_basic' },
  ];
  return { clients, privateKey: privateKey as CryptoKey, kid: jwk.kid };
}

export interface TestClientsPortvakt {
  pv: import('./portvakt.js').TestPortvakt;
  privateKey: CryptoKey;
  kid: string;
}

/**
 * One Portvakt with the test clients for the whole test file (started before, stopped after).
 * Tests read `env.pv` at run time, so a test may replace it (a restart).
 */
export function portvaktWithTestClients(): TestClientsPortvakt {
  const env = {} as TestClientsPortvakt;
  beforeAll(async () => {
    const declared = await testClients();
    env.privateKey = declared.privateKey;
    env.kid = declared.kid;
    env.pv = await startPortvakt({ clients: declared.clients, scopes: testScopes });
  });
  afterAll(async () => env.pv?.close());
  return env;
}

/**
 * An organisation's API client for the self-service API, registered as ID-porten registers
 * Maskinporten clients (client credentials with private_key_jwt here), with its private key.
 */
export async function apiClient(id: string, orgno: string, scopes: string[]) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: `${id}-key`, alg: 'RS256', use: 'sig' };
  return {
    registration: { client_id: id, integration_type: 'maskinporten', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], scopes, client_orgno: orgno, jwks: { keys: [jwk] } },
    privateKey, kid: jwk.kid,
  };
}
