// The portal's login session: a sealed (encrypted, authenticated) cookie, so any node behind the
// load balancer can read it and nothing is stored per session. It carries the person's pid, the
// id_token for logout, and the CSRF token of every form.
import crypto from 'node:crypto';
import type { Secrets } from '../../store/secrets.js';

export const PORTAL_COOKIE = 'portvakt_portal';
const LIFETIME_SECONDS = 30 * 60; // like ID-porten's own idle limit: services must end idle sessions

export interface PortalSession {
  pid: string;
  idToken: string;
  csrf: string;
  exp: number;
}

export interface PortalFlow {
  state: string;
  nonce: string;
  verifier: string;
  exp: number;
}

export function portalSessions(secrets: Secrets) {
  const open = <T extends { exp: number }>(value: string | undefined): T | undefined => {
    if (!value) return undefined;
    try {
      const data = JSON.parse(secrets.unseal(value)) as T;
      return data.exp > Date.now() / 1000 ? data : undefined;
    } catch {
      return undefined; // tampered, expired or sealed under another secret: not a session
    }
  };
  return {
    seal(session: Omit<PortalSession, 'exp' | 'csrf'>): string {
      const full: PortalSession = { ...session, csrf: crypto.randomBytes(18).toString('base64url'), exp: Math.floor(Date.now() / 1000) + LIFETIME_SECONDS };
      return secrets.seal(JSON.stringify(full));
    },
    open: (value: string | undefined) => open<PortalSession>(value),
    sealFlow(flow: Omit<PortalFlow, 'exp'>): string {
      return secrets.seal(JSON.stringify({ ...flow, exp: Math.floor(Date.now() / 1000) + 600 }));
    },
    openFlow: (value: string | undefined) => open<PortalFlow>(value),
    maxAge: LIFETIME_SECONDS,
  };
}
