// A relying party for browser tests, on its own origin (127.0.0.1, so a different site from the
// provider on localhost): logs in with openid-client, keeps local sessions, and implements
// front-channel logout by sid. One server can host several clients under /c/<client_id>/.
import http from 'node:http';
import type net from 'node:net';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';

export interface RpClient {
  clientId: string;
  secret: string;
}

export interface RelyingParty {
  origin: string;
  /** What each client's front-channel endpoint received. */
  frontchannel: Array<{ clientId: string; iss: string | null; sid: string | null }>;
  /** Client registrations in Portvakt's client-file format. */
  registrations(clients: Array<RpClient & Record<string, unknown>>): unknown[];
  configure(issuer: string, clients: RpClient[]): Promise<void>;
  close(): Promise<void>;
}

interface Flow { verifier: string; nonce: string; clientId: string }
interface LocalSession { clientId: string; claims: Record<string, unknown>; idToken: string; sid?: string }

export async function startRelyingParty(): Promise<RelyingParty> {
  const configs = new Map<string, oidc.Configuration>();
  const flows = new Map<string, Flow>();
  const sessions = new Map<string, LocalSession>();
  const frontchannel: RelyingParty['frontchannel'] = [];
  let origin = '';

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, origin);
    const match = /^\/c\/([^/]+)\/(\w+)$/.exec(url.pathname);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (!match) return send(404, { error: 'not found' });
    const [, clientId, action] = match as unknown as [string, string, string];
    const config = configs.get(clientId)!;
    const cookie = /rp_session_([\w-]+)=([\w-]+)/.exec(req.headers.cookie ?? '');
    const localId = cookie?.[1] === clientId ? cookie[2] : undefined;
    try {
      switch (action) {
        case 'login': {
          const state = oidc.randomState();
          const flow = { verifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce(), clientId };
          flows.set(state, flow);
          const extra = Object.fromEntries(url.searchParams);
          const target = oidc.buildAuthorizationUrl(config, {
            redirect_uri: `${origin}/c/${clientId}/callback`, scope: 'openid profile', state, nonce: flow.nonce,
            code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier), code_challenge_method: 'S256', ...extra,
          });
          return send(303, '', { location: target.href });
        }
        case 'callback': {
          const state = url.searchParams.get('state') ?? '';
          const flow = flows.get(state);
          if (url.searchParams.get('error')) return send(400, { error: url.searchParams.get('error') });
          if (!flow) return send(400, { error: 'unknown state' });
          const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: flow.verifier, expectedState: state, expectedNonce: flow.nonce });
          const claims = tokens.claims()! as Record<string, unknown>;
          const id = crypto.randomBytes(12).toString('hex');
          sessions.set(id, { clientId, claims, idToken: tokens.id_token!, ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}) });
          return send(303, '', { location: `/c/${clientId}/me`, 'set-cookie': `rp_session_${clientId}=${id}; Path=/; HttpOnly; SameSite=Lax` });
        }
        case 'me': {
          const session = localId ? sessions.get(localId) : undefined;
          return send(200, session ? { loggedIn: true, claims: session.claims } : { loggedIn: false });
        }
        case 'logout': {
          const session = localId ? sessions.get(localId) : undefined;
          if (localId) sessions.delete(localId);
          const target = oidc.buildEndSessionUrl(config, {
            post_logout_redirect_uri: `${origin}/c/${clientId}/bye`, state: 'rp-state',
            ...(session ? { id_token_hint: session.idToken } : { client_id: clientId }),
          });
          if (url.searchParams.get('method') !== 'post') return send(303, '', { location: target.href });
          // As ID-porten recommends: the id_token_hint in a form the person submits, not in a URL.
          const fields = [...target.searchParams].map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
          return send(200, `<!DOCTYPE html><html lang="en"><head><title>Log out</title></head><body><form method="post" action="${target.origin}${target.pathname}">${fields}<button>Log out everywhere</button></form></body></html>`);
        }
        case 'bye':
          return send(200, '<!DOCTYPE html><html lang="en"><head><title>Bye</title></head><body><h1>Logged out</h1></body></html>');
        case 'frontchannel': {
          const iss = url.searchParams.get('iss');
          const sid = url.searchParams.get('sid');
          frontchannel.push({ clientId, iss, sid });
          for (const [id, session] of sessions) if (session.clientId === clientId && sid && session.sid === sid) sessions.delete(id);
          return send(200, '<!DOCTYPE html><html lang="en"><head><title>fc</title></head><body></body></html>');
        }
        default:
          return send(404, { error: 'not found' });
      }
    } catch (err) {
      return send(500, { error: String((err as Error).message) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  return {
    origin,
    frontchannel,
    registrations: (clients) => clients.map(({ clientId, secret, ...extra }) => ({
      client_id: clientId, client_name: `RP ${clientId}`, client_secret: secret,
      redirect_uris: [`${origin}/c/${clientId}/callback`], post_logout_redirect_uris: [`${origin}/c/${clientId}/bye`],
      frontchannel_logout_uri: `${origin}/c/${clientId}/frontchannel`, frontchannel_logout_session_required: true, ...extra,
    })),
    async configure(issuer, clients) {
      for (const { clientId, secret } of clients) {
        configs.set(clientId, await oidc.discovery(new URL(issuer), clientId, {}, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] }));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
