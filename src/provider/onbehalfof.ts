// OnBehalfOf (profile §2.1, §4.3, §11): a supplier's one client logs people in for many customers.
// The request names the customer (`onbehalfof=<value>`), which must be registered on the client;
// the login page shows that customer's name, and the tokens say whom the login was for
// (`client_onbehalfof`; the id_token also as `aud_onbehalfof`, the name in ID-porten's own example).
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

export interface OnBehalfOfEntry {
  onbehalfof: string;
  name: string;
  orgno?: string;
}

/** The registered customer a request names, if the client has it. */
export function onBehalfOfEntry(client: unknown, value: string | undefined): OnBehalfOfEntry | undefined {
  if (value === undefined) return undefined;
  const registered = (client as { onbehalfof?: OnBehalfOfEntry[] } | undefined)?.onbehalfof ?? [];
  return registered.find((entry) => entry.onbehalfof === value);
}

/** extraParams validator at /authorize and /par: only a value registered on the client. */
export function onBehalfOfRegistered(ctx: KoaContextWithOIDC, value: string | undefined): void {
  if (value === undefined) return;
  if (!onBehalfOfEntry(ctx.oidc.client, value)) {
    const shown = /^[A-Za-z0-9._-]{1,100}$/.test(value) ? `"${value}"` : 'the value given';
    throw new errors.InvalidRequest(`onbehalfof ${shown} is not registered for this client`);
  }
}

/** The claims that say whom a login was for, from the grant it was made under. */
export function onBehalfOfClaims(grant: unknown, token: 'id_token' | 'access_token'): Record<string, string> {
  const value = (grant as { onbehalfof?: string } | undefined)?.onbehalfof;
  if (!value) return {};
  return token === 'id_token' ? { client_onbehalfof: value, aud_onbehalfof: value } : { client_onbehalfof: value };
}
