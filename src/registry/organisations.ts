// Organisations, people and their roles (issue 5): who may manage which integrations.
import type { Db } from '../store/db.js';
import { DomainError } from './errors.js';
import { isValidOrgno } from './orgno.js';
import { parsePid, InvalidPidError } from '../identity/pid.js';

export type Role = 'integration_admin' | 'service_desk';
export const GLOBAL_SCOPE = '*';

export interface Organisation {
  orgno: string;
  name: string;
}

export class InvalidOrganisationError extends DomainError {}

export interface Organisations {
  upsert(org: Organisation): Promise<Organisation>;
  find(orgno: string): Promise<Organisation | undefined>;
  list(): Promise<Organisation[]>;
  grant(pid: string, role: Role, orgno?: string): Promise<void>;
  /** The organisations a person administers, and whether they are service desk. */
  accessOf(pid: string): Promise<{ orgnos: string[]; serviceDesk: boolean }>;
}

export function createOrganisations(db: Db): Organisations {
  return {
    async upsert(org) {
      if (!isValidOrgno(org.orgno)) throw new InvalidOrganisationError('organisation.invalid_orgno', `"${org.orgno}" is not a valid organisation number (9 digits, mod-11 check digit)`);
      const name = org.name.trim();
      if (!name || name.length > 200) throw new InvalidOrganisationError('organisation.invalid_name', 'the organisation needs a name (at most 200 characters)');
      await db.insertInto('organisations').values({ orgno: org.orgno, name }).onConflict((oc) => oc.column('orgno').doUpdateSet({ name })).execute();
      return { orgno: org.orgno, name };
    },
    async find(orgno) {
      return db.selectFrom('organisations').select(['orgno', 'name']).where('orgno', '=', orgno).executeTakeFirst();
    },
    async list() {
      return db.selectFrom('organisations').select(['orgno', 'name']).orderBy('name').execute();
    },
    async grant(pid, role, orgno) {
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
