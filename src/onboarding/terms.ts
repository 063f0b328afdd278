// Terms of use (bruksvilkår): "service owners who have accepted ID-porten's terms of use may use it
// in production; you may well test in the test environment before you accept them" (the onboarding
// guides). The operator publishes its terms (PORTVAKT_TERMS_URL, PORTVAKT_TERMS_VERSION); an
// organisation's administrator accepts them in the portal; outside test environments an
// organisation gets no new integration before it has accepted the current version.
//
// The acceptance is an entry in the audit log — who, when, from where, which version — and the
// audit log is what is read back: one record, the one an operator would show if asked.
import { DomainError } from '../registry/errors.js';
import { canSee, ForbiddenError, type Access } from '../registry/integrations.js';
import type { Actor, AuditLog } from '../registry/audit.js';

export const ACCEPT_ACTION = 'terms.accept';

export interface TermsStatus {
  url: string;
  version: string;
  /** Accepted the current version: when, and by whom. */
  accepted: { at: string; by: string } | undefined;
  /** Whether the organisation must accept before it gets new integrations here. */
  required: boolean;
}

export interface Terms {
  /** Without terms (no PORTVAKT_TERMS_URL) there is nothing to accept: undefined. */
  status(access: Access, orgno: string): Promise<TermsStatus | undefined>;
  accept(access: Access, orgno: string, actor: Actor): Promise<TermsStatus>;
  /** Refuses a new integration for an organisation that must, and has not, accepted the current terms. */
  checkMayCreate(orgno: string): Promise<void>;
}

export interface TermsOptions {
  url: string | undefined;
  version: string;
  /** Acceptance needed before an organisation gets integrations (outside test environments). */
  required: boolean;
}

export function createTerms(audit: AuditLog, options: TermsOptions): Terms {
  async function acceptance(orgno: string): Promise<TermsStatus['accepted']> {
    const entries = await audit.list({ orgno, action: ACCEPT_ACTION, limit: 20 });
    const entry = entries.find((e) => e.after?.version === options.version);
    return entry && { at: entry.at.toISOString(), by: entry.actor.id };
  }

  async function status(orgno: string): Promise<TermsStatus | undefined> {
    if (!options.url) return undefined;
    return { url: options.url, version: options.version, accepted: await acceptance(orgno), required: options.required };
  }

  return {
    async status(access, orgno) {
      if (!canSee(access, orgno)) throw new ForbiddenError('organisation.forbidden', `you cannot see ${orgno}`);
      return status(orgno);
    },

    async accept(access, orgno, actor) {
      if (!options.url) throw new DomainError('terms.none', 'this installation has no terms of use to accept');
      // The organisation binds itself: its own administrator accepts, not the operator's service desk.
      if (access === 'all' || !access.orgnos.has(orgno)) throw new ForbiddenError('terms.not_administrator', `only an administrator of ${orgno} accepts its terms of use`);
      const current = await status(orgno);
      if (current?.accepted) return current;
      await audit.record({ actor, action: ACCEPT_ACTION, orgno, after: { version: options.version, url: options.url } });
      return (await status(orgno))!;
    },

    async checkMayCreate(orgno) {
      if (!options.url || !options.required) return;
      if (!(await acceptance(orgno))) {
        throw new ForbiddenError('organisation.terms', `${orgno} has not accepted the terms of use (version ${options.version}, ${options.url}); an administrator of the organisation accepts them in the portal, then integrations can be created here`);
      }
    },
  };
}
