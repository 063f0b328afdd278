// Headless TestID login for automated tests (profile §9.2): login_hint=testid:<pid>_<acr>.
import { isAcr, type Acr } from './acr.js';
import { syntheticPidProblem } from '../identity/pid.js';

export type TestIdHint = { pid: string; acr: Acr } | { error: string };

export function parseTestIdHint(hint: string): TestIdHint {
  const match = /^testid:(\d{11})_(.+)$/.exec(hint);
  if (!match) return { error: 'expected testid:<11-digit synthetic pid>_<acr>, e.g. testid:28876895937_idporten-loa-substantial' };
  const [, pid, acr] = match as unknown as [string, string, string];
  if (!isAcr(acr)) return { error: `unknown level "${acr}"; use idporten-loa-substantial or idporten-loa-high` };
  const problem = syntheticPidProblem(pid);
  if (problem) return { error: problem };
  return { pid, acr };
}


interface SessionLike {
  accountId?: string;
  authorizations?: Record<string, unknown>;
  loginAccount(details: { accountId: string; acr: string; amr: string[]; loginTs?: number }): void;
}

/**
 * Logs the session in from a valid TestID hint before oidc-provider decides whether a login page is
 * needed, so the authorization request answers at once with a code, as ID-porten's does.
 * A different person in the same browser replaces the session's person and its client links.
 */
export function loginFromTestIdHint(session: SessionLike, hint: string): boolean {
  const parsed = parseTestIdHint(hint);
  if ('error' in parsed) return false;
  if (session.accountId && session.accountId !== parsed.pid) session.authorizations = {};
  session.loginAccount({ accountId: parsed.pid, acr: parsed.acr, amr: ['TestID'] });
  return true;
}
