// The reference for bench/login.ts: a plain oidc-provider 9 with its in-memory adapter, RS256, PKCE,
// and the smallest login page that completes an interaction. Same flow shape as Portvakt's TestID,
// and the same signatures per login: an RS256 id_token and an RS256 JWT access token (oidc-provider
// signs access tokens only for a resource server, so a default resource stands in for ID-porten's
// JWT access tokens).
import http from 'node:http';
import crypto from 'node:crypto';
import Provider, { type Configuration } from 'oidc-provider';

const port = Number(process.argv[2] ?? 9090);
const issuer = `http://localhost:${port}`;
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...(privateKey.export({ format: 'jwk' }) as object), kid: 'reference', alg: 'RS256', use: 'sig' };

const configuration: Configuration = {
  clients: [{
    client_id: 'bench-client',
    client_secret: 'bench-secret-0123456789abcdefghijkl',
    redirect_uris: ['http://localhost:7777/callback'],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk as never] },
  cookies: { keys: ['reference-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => 'urn:bench:api',
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({ scope: 'profile', audience: 'urn:bench:api', accessTokenFormat: 'jwt', accessTokenTTL: 120, jwt: { sign: { alg: 'RS256' } } }),
    },
  },
  pkce: { required: () => true },
  claims: { openid: ['sub', 'pid', 'acr', 'amr', 'auth_time'] },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, pid: id }) }),
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ accountId: ctx.oidc.session!.accountId!, clientId: ctx.oidc.client!.clientId });
    grant.addOIDCScope('openid profile');
    grant.addResourceScope('urn:bench:api', 'profile');
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  routes: { authorization: '/authorize', token: '/token', jwks: '/jwks.json' },
  ttl: { AccessToken: 120, IdToken: 120, Interaction: 1800, Session: 7200, Grant: 7200 },
};

const provider = new Provider(issuer, configuration);
const callback = provider.callback();

http.createServer(async (req, res) => {
  const match = /^\/interaction\/([\w-]+)$/.exec(req.url ?? '');
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html');
      return res.end(`<form method="post"><input name="pid" value=""><button>Log in</button></form><!-- ${details.uid} -->`);
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const pid = new URLSearchParams(body).get('pid') ?? '';
    await provider.interactionFinished(req, res, { login: { accountId: pid, acr: 'idporten-loa-substantial', amr: ['TestID'] } }, { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 400;
    res.end(String(err));
  }
}).listen(port, '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));

// Exit cleanly so that `node --cpu-prof` can write its profile when the bench stops us.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
