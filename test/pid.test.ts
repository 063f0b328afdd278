import { describe, expect, it } from 'vitest';
import { InvalidPidError, parsePid, syntheticPid, syntheticPidProblem, withControlDigits } from '../src/identity/pid.js';
import { testPersons } from '../src/identity/test-persons.js';
import { parseTestIdHint } from '../src/provider/testid-hint.js';

describe('national identity numbers', () => {
  it('parses the synthetic numbers ID-porten documents', () => {
    expect(parsePid('28876895937')).toMatchObject({ kind: 'fodselsnummer', synthetic: true, birthDate: { year: 1968, month: 7, day: 28 } });
    expect(parsePid('21879498012')).toMatchObject({ synthetic: true, birthDate: { year: 1994, month: 7, day: 21 } });
  });

  it('recognises D-numbers (4 added to the first digit)', () => {
    expect(parsePid('59125502061')).toMatchObject({ kind: 'd-number', synthetic: false, birthDate: { year: 1955, month: 12, day: 19 } });
  });

  it.each([
    ['1234567890', 'format'],
    ['2887689593a', 'format'],
    ['28876895938', 'checksum'],
    ['28876895947', 'checksum'],
  ])('refuses %s (%s)', (pid, problem) => {
    expect(() => parsePid(pid)).toThrow(InvalidPidError);
    try {
      parsePid(pid);
    } catch (err) {
      expect((err as InvalidPidError).problem).toBe(problem);
    }
  });

  it('refuses an impossible date even with valid control digits', () => {
    const pid = withControlDigits('310289' + '123') ?? withControlDigits('310289124'); // 31 February
    expect(pid).toBeDefined();
    expect(() => parsePid(pid!)).toThrow(/date of birth/);
  });

  it('generates valid, distinct synthetic numbers', () => {
    const a = syntheticPid({ year: 1985, month: 4, day: 12 }, 0);
    const b = syntheticPid({ year: 1985, month: 4, day: 12 }, 1);
    expect(a).not.toBe(b);
    for (const pid of [a, b]) expect(parsePid(pid)).toMatchObject({ synthetic: true, birthDate: { year: 1985, month: 4, day: 12 } });
    expect(parsePid(syntheticPid({ year: 2005, month: 1, day: 2 }))).toMatchObject({ birthDate: { year: 2005 } });
  });

  it('every seeded test person has a valid synthetic number', () => {
    expect(new Set(testPersons.map((p) => p.pid)).size).toBe(testPersons.length);
    for (const person of testPersons) {
      const parsed = parsePid(person.pid);
      expect(parsed.synthetic).toBe(true);
      expect(parsed.kind).toBe(person.dNumber ? 'd-number' : 'fodselsnummer');
      expect(parsed.birthDate).toEqual(person.birthDate);
    }
  });
});

describe('TestID accepts only synthetic numbers', () => {
  it('accepts a synthetic number and refuses a real-format one', () => {
    expect(syntheticPidProblem('28876895937')).toBeUndefined();
    expect(syntheticPidProblem('59125502061')).toMatch(/synthetic/);
  });

  it.each([
    ['testid:28876895937_idporten-loa-high', { pid: '28876895937', acr: 'idporten-loa-high' }],
    ['testid:28876895937_idporten-loa-substantial', { pid: '28876895937', acr: 'idporten-loa-substantial' }],
  ])('parses %s', (hint, expected) => {
    expect(parseTestIdHint(hint)).toEqual(expected);
  });

  it.each(['testid:28876895937', 'testid:2887689593_idporten-loa-high', 'testid:28876895937_Level4', 'testid:28876895938_idporten-loa-high'])('refuses %s', (hint) => {
    expect(parseTestIdHint(hint)).toHaveProperty('error');
  });
});
