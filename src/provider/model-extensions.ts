// The few places where ID-porten's behaviour differs from what oidc-provider's configuration can
// express, each a small, named extension of one oidc-provider model. Everything else is configuration
// (profile.ts). Keep this list short and explain each entry.
import crypto from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import type { Secrets } from '../store/secrets.js';
import { choiceForCode, REPRESENTS_SELF, selfMarkCarried } from './fullmakt.js';

/** ID-porten's request_uri lives 120 s (profile §2.6); oidc-provider fixes 60 s. */
export const PAR_TTL_SECONDS = 120;

type Proto = Record<string, (...args: never[]) => unknown>;

export function extendModels(provider: Provider, secrets: Secrets): void {
  const client = provider.Client.prototype as unknown as Proto & { clientSecret?: string; frontchannel_logout_session_required?: boolean };

  // Client secrets are stored as keyed digests, never in plain text; compare in constant time.
  // oidc-provider accepts a secret in the header or the body for either method; ID-porten accepts
  // only the registered one (profile §3).
  client.compareClientSecret = function compareClientSecret(this: { clientSecret?: string; clientAuthMethod: string }, actual: string) {
    const usedBasic = /^basic /i.test(Provider.ctx?.headers.authorization ?? '');
    if (usedBasic !== (this.clientAuthMethod === 'client_secret_basic')) {
      throw new errors.InvalidClientAuth(`this client is registered for ${this.clientAuthMethod}; ${usedBasic ? 'send client_id and client_secret in the form body' : 'send the secret in the Authorization: Basic header'}`);
    }
    return typeof actual === 'string' && !!this.clientSecret && secrets.digestMatches(actual, this.clientSecret);
  } as never;

  // `sid` goes into the id_token only for clients that asked for it (profile §4.3).
  const includeSid = client.includeSid!;
  client.includeSid = function (this: typeof client) {
    return this.frontchannel_logout_session_required === true || (includeSid.call(this) as boolean);
  } as never;

  // ID-porten's id_tokens carry a jti.
  const idToken = provider.IdToken.prototype as unknown as Proto & { set(key: string, value: unknown): void };
  const issue = idToken.issue!;
  idToken.issue = function (this: typeof idToken, options: { use?: string }) {
    if (options?.use === 'idtoken') this.set('jti', crypto.randomBytes(8).toString('base64url'));
    return issue.call(this, options as never);
  } as never;

  // A grant remembers the language the person used, for the `locale` claim (profile §2.4).
  keepField(provider.Grant, 'locale');
  // … and the supplier's customer a login was for, for the onbehalfof claims (onbehalfof.ts).
  keepField(provider.Grant, 'onbehalfof');
  // … and the browser it was given in, for the person's list of authorizations (authorizations.ts).
  keepField(provider.Grant, 'userAgent');
  // A code, and its refresh tokens, remember that the person chose to represent themselves in a fullmakt login (fullmakt.ts).
  keepField(provider.AuthorizationCode, REPRESENTS_SELF);
  keepField(provider.RefreshToken, REPRESENTS_SELF);
  // A session remembers whether its login belongs to an sso_disabled client (sessions.ts).
  keepField(provider.Session, 'isolatedFor');
  // … and for which client it was made, so a reuse by SSO can be told to that client (verification tests).
  keepField(provider.Session, 'loginFor');

  // A fullmakt login's choice goes into its code, from where oidc-provider carries it (as `rar`) to
  // the refresh and access tokens; its own RAR feature would also bind them to a resource (fullmakt.ts).
  addBeforeSave(provider.AuthorizationCode, choiceForCode);
  addBeforeSave(provider.RefreshToken, selfMarkCarried);

  const par = provider.PushedAuthorizationRequest.prototype as unknown as Proto;
  const save = par.save!;
  par.save = function (this: unknown) {
    return save.call(this, PAR_TTL_SECONDS as never);
  } as never;
}

/** Sets fields of a model, read from the request being served, each time one is saved. */
function addBeforeSave(model: { prototype: unknown }, fieldsFrom: (ctx: never) => object): void {
  const proto = model.prototype as Proto;
  const save = proto.save!;
  proto.save = function (this: object, ...args: never[]) {
    Object.assign(this, fieldsFrom(Provider.ctx as never));
    return save.apply(this, args);
  } as never;
}

/** Makes oidc-provider store one more field of a model (it stores only the fields it lists). */
function keepField(model: unknown, field: string): void {
  const fields = [...(model as { IN_PAYLOAD: string[] }).IN_PAYLOAD, field];
  Object.defineProperty(model, 'IN_PAYLOAD', { get: () => fields, configurable: true });
}
