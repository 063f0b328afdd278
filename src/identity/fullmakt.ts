// Fullmakt (representation) relations: who may log in on behalf of whom, and for what. ID-porten
// asks an authoritative register (Vergemålsregisteret through Folkeregisteret, later Altinn 3) and
// never keeps relations itself; a test installation has no register, so it has a seeded synthetic
// set, and an installation may declare its own in the client file ("fullmakter") so a team's tests
// meet exactly the relations they need. Every number is synthetic.
import { Type, type Static } from '@sinclair/typebox';
import { firstSchemaProblem } from '../registry/input-checks.js';
import { syntheticPidProblem } from './pid.js';
import { testPersons } from './test-persons.js';

/** The authorization_details type that asks for a fullmakt login (profile §11, RAR). */
export const FULLMAKT_TYPE = 'idporten:fullmakt';

const Party = Type.Object({
  pid: Type.String({ pattern: '^[0-9]{11}$' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
}, { additionalProperties: false });

/** An owner or a role of a permission (also what a service may name in permission_roles). */
export const PERMISSION_NAME = '^[A-Za-z0-9_.-]{1,100}$';

const Permission = Type.Object({
  /** Who the permission is for, e.g. `nav`. */
  owner: Type.String({ pattern: PERMISSION_NAME }),
  /** The area, e.g. `arbeid`: what a service asks for in permission_roles. */
  role: Type.String({ pattern: PERMISSION_NAME }),
}, { additionalProperties: false });

/** One relation, in the field names of ID-porten's answer (authorization_details). */
export const FullmaktSchema = Type.Object({
  authorizer: Party,
  authorized_representative: Party,
  permissions: Type.Array(Permission, { minItems: 1, maxItems: 50 }),
}, { additionalProperties: false });

export type Fullmakt = Static<typeof FullmaktSchema>;
export type FullmaktParty = Fullmakt['authorizer'];
export type FullmaktPermission = Fullmakt['permissions'][number];

/**
 * The seeded relations. The first is Digdir's own demo pair in ID-porten's test environment (profile
 * §9.1), so a test written against ID-porten's works here unchanged; the others are among the
 * TestID picker's persons: Kari Nordmann acts for two people, Ola Nordmann for nobody.
 */
export const SEEDED_FULLMAKTER: readonly Fullmakt[] = [
  {
    authorizer: { pid: '28816196088', name: 'USIKKER BILLETTLUKE' },
    authorized_representative: { pid: '05895894984', name: 'LIVSGLAD DEDIKERT HUSBÅT BILLETTLUKE' },
    permissions: [{ owner: 'nav', role: 'arbeid' }],
  },
  {
    authorizer: testPerson('Ingrid', 'Bakke'),
    authorized_representative: testPerson('Kari', 'Nordmann'),
    permissions: [{ owner: 'nav', role: 'arbeid' }, { owner: 'skatteetaten', role: 'skatt' }, { owner: 'helfo', role: 'helse' }],
  },
  {
    authorizer: testPerson('Nils', 'Sara'),
    authorized_representative: testPerson('Kari', 'Nordmann'),
    permissions: [{ owner: 'skatteetaten', role: 'skatt' }],
  },
];

function testPerson(givenName: string, familyName: string): FullmaktParty {
  const person = testPersons.find((p) => p.givenName === givenName && p.familyName === familyName)!;
  return { pid: person.pid, name: `${givenName} ${familyName}` };
}

/** A declared relation, checked: a clear message naming the field, or the relation. */
export function validateFullmakt(input: unknown): { fullmakt: Fullmakt } | { error: string } {
  const problem = firstSchemaProblem(FullmaktSchema, input);
  if (problem) return { error: `${problem.field}: ${problem.detail}` };
  const fullmakt = input as Fullmakt;
  // Relations are for people who log in with TestID, whose numbers are synthetic.
  for (const side of ['authorizer', 'authorized_representative'] as const) {
    const pidProblem = syntheticPidProblem(fullmakt[side].pid);
    if (pidProblem) return { error: `${side}.pid: ${pidProblem}` };
  }
  if (fullmakt.authorizer.pid === fullmakt.authorized_representative.pid) return { error: 'authorizer and authorized_representative are the same person' };
  return { fullmakt };
}

/** Who a person may represent for any of the asked-for roles, each with the permissions that match them. */
export class FullmaktRegister {
  private readonly byRepresentative = new Map<string, Fullmakt[]>();

  constructor(relations: readonly Fullmakt[] = []) {
    this.add(relations);
  }

  /** More relations: those a start declares (PORTVAKT_CONFIG). */
  add(relations: readonly Fullmakt[]): void {
    for (const relation of relations) {
      const list = this.byRepresentative.get(relation.authorized_representative.pid) ?? [];
      list.push(relation);
      this.byRepresentative.set(relation.authorized_representative.pid, list);
    }
  }

  /** Whether `pid` may act for anyone (the TestID picker marks such persons). */
  represents(pid: string): boolean {
    return this.byRepresentative.has(pid);
  }

  /** The relations in which `pid` may act for one of `roles` (logical OR), their permissions cut to those roles. */
  representable(pid: string, roles: readonly string[]): Fullmakt[] {
    const wanted = new Set(roles);
    return (this.byRepresentative.get(pid) ?? [])
      .map((relation) => ({ ...relation, permissions: relation.permissions.filter((p) => wanted.has(p.role)) }))
      .filter((relation) => relation.permissions.length > 0);
  }
}
