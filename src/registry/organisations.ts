// Organisations, people and their roles (issue 5): who may manage which integrations.
import type { Db } from '../store/db.js';
import { DomainError } from './errors.js';
import { isValidOrgno } from './orgno.js';
import { isStorableText } from '../store/storable-text.js';
import { parsePid, InvalidPidError } from '../identity/pid.js';
import type { Actor, AuditLog } from './audit.js';

export type Role = 'integration_admin' | 'service_desk';
export const GLOBAL_SCOPE = '*';

export interface Organisation {
  orgno: string;
  name: string;
}

export class InvalidOrganisationError extends DomainError {}

export interface Organisations {
  /** `actor` puts the change in the audit log (every change a person or script makes). */
  upsert(org: Organisation, actor?: Actor): Promise<Organisation>;
  find(orgno: string): Promise<Organisation | undefined>;
  list(): Promise<Organisation[]>;
  grant(pid: string, role: Role, orgno?: string, actor?: Actor): Promise<void>;
  /** The organisations a person administers, and whether they are service desk. */
  accessOf(pid: string): Promise<{ orgnos: string[]; serviceDesk: boolean }>;
}

export function createOrganisations(db: Db, audit?: AuditLog): Organisations {
  return {
    async upsert(org, actor) {
      if (!isValidOrgno(org.orgno)) throw new InvalidOrganisationError('organisation.invalid_orgno', `"${org.orgno}" is not a valid organisation number (9 digits, mod-11 check digit)`);
      const name = org.name.trim();
      if (!name || name.length > 200) throw new InvalidOrganisationError('organisation.invalid_name', 'the organisation needs a name (at most 200 characters)');
      const before = await this.find(org.orgno);
      await db.insertInto('organisations').values({ orgno: org.orgno, name }).onConflict((oc) => oc.column('orgno').doUpdateSet({ name })).execute();
      if (actor && audit && before?.name !== name) await audit.record({ actor, action: before ? 'organisation.rename' : 'organisation.create', orgno: org.orgno, before: before ? { ...before } : null, after: { orgno: org.orgno, name } });
      return { orgno: org.orgno, name };
    },
    async find(orgno) {
      if (!isStorableText(orgno)) return undefined;
      return db.selectFrom('organisations').select(['orgno', 'name']).where('orgno', '=', orgno).executeTakeFirst();
    },
    async list() {
      return db.selectFrom('organisations').select(['orgno', 'name']).orderBy('name').execute();
    },
    async grant(pid, role, orgno, actor) {
      try {
        parsePid(pid);
      } catch (err) {
        if (err instanceof InvalidPidError) throw new InvalidOrganisationError('person.invalid_pid', `"${pid}": ${err.message}`);
        throw err;
      }
      if (role === 'integration_admin' && (!orgno || !(await this.find(orgno)))) {
        throw new InvalidOrganisationError('organisation.not_found', `no organisation ${orgno ?? '(none given)'}; add it first`);
      }
      await db.insertInto('people').values({ pid }).onConflict((oc) => oc.column('pid').doNothing()).execute();
      await db
        .insertInto('roles')
        .values({ pid, role, scope: role === 'service_desk' ? GLOBAL_SCOPE : orgno! })
        .onConflict((oc) => oc.columns(['pid', 'scope', 'role']).doNothing())
        .execute();
      if (actor && audit) await audit.record({ actor, action: 'role.grant', orgno: role === 'service_desk' ? null : orgno, after: { pid, role } });
    },
    async accessOf(pid) {
      const rows = await db.selectFrom('roles').select(['scope', 'role']).where('pid', '=', pid).execute();
      return {
        orgnos: rows.filter((r) => r.role === 'integration_admin').map((r) => r.scope),
        serviceDesk: rows.some((r) => r.role === 'service_desk'),
      };
    },
  };
}
