// The seeded synthetic test population the TestID picker offers, so nobody has to invent numbers.
// Every number is synthetic (month + 80) and therefore can never belong to a real person.
import { ageOn, parsePid, syntheticPid } from './pid.js';

export interface TestPerson {
  pid: string;
  givenName: string;
  familyName: string;
  birthDate: { year: number; month: number; day: number };
  dNumber: boolean;
}

const population: Array<Omit<TestPerson, 'pid'> & { serial?: number }> = [
  { givenName: 'Kari', familyName: 'Nordmann', birthDate: { year: 1985, month: 4, day: 12 }, dNumber: false },
  { givenName: 'Ola', familyName: 'Nordmann', birthDate: { year: 1979, month: 11, day: 3 }, dNumber: false },
  { givenName: 'Aisha', familyName: 'Haugen', birthDate: { year: 2001, month: 7, day: 28 }, dNumber: false },
  { givenName: 'Nils', familyName: 'Sara', birthDate: { year: 1958, month: 2, day: 17 }, dNumber: false },
  { givenName: 'Ingrid', familyName: 'Bakke', birthDate: { year: 1942, month: 9, day: 5 }, dNumber: false },
  { givenName: 'Emil', familyName: 'Larsen', birthDate: { year: 2010, month: 1, day: 30 }, dNumber: false },
  { givenName: 'Piotr', familyName: 'Kowalski', birthDate: { year: 1990, month: 6, day: 14 }, dNumber: true },
  { givenName: 'Sofia', familyName: 'Berg', birthDate: { year: 1996, month: 12, day: 24 }, dNumber: false },
];

export const testPersons: readonly TestPerson[] = population.map(({ serial, ...person }) => ({
  ...person,
  pid: syntheticPid(person.birthDate, serial ?? 0, person.dNumber),
}));

export function findTestPerson(pid: string): TestPerson | undefined {
  return testPersons.find((p) => p.pid === pid);
}

export function ageOfPid(pid: string, today = new Date()): number {
  return ageOn(parsePid(pid).birthDate, today);
}
