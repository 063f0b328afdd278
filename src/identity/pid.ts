// Norwegian national identity numbers: fødselsnummer, D-numbers and the synthetic test numbers
// (month + 80) that Skatteetaten's test population and ID-porten's TestID use.

export type PidKind = 'fodselsnummer' | 'd-number';

export interface ParsedPid {
  pid: string;
  kind: PidKind;
  /** True for test-population numbers: 80 is added to the month. */
  synthetic: boolean;
  birthDate: { year: number; month: number; day: number };
}

export type PidProblem = 'format' | 'checksum' | 'date';

export class InvalidPidError extends Error {
  readonly code: `pid.${PidProblem}`;
  constructor(readonly problem: PidProblem, message: string) {
    super(message);
    this.code = `pid.${problem}`;
  }
}

const K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function controlDigit(digits: number[], weights: number[]): number | undefined {
  const sum = weights.reduce((acc, w, i) => acc + w * digits[i]!, 0);
  const k = 11 - (sum % 11);
  if (k === 11) return 0;
  if (k === 10) return undefined;
  return k;
}

/** Adds the two control digits to nine digits, or returns undefined when no valid number exists. */
export function withControlDigits(nine: string): string | undefined {
  const digits = [...nine].map(Number);
  const k1 = controlDigit(digits, K1);
  if (k1 === undefined) return undefined;
  const k2 = controlDigit([...digits, k1], K2);
  if (k2 === undefined) return undefined;
  return `${nine}${k1}${k2}`;
}

function centuryFor(individual: number, yy: number): number | undefined {
  if (individual <= 499) return 1900;
  if (individual <= 749 && yy >= 54) return 1800;
  if (individual >= 500 && yy <= 39) return 2000;
  if (individual >= 900 && yy >= 40) return 1900;
  return undefined;
}

export function parsePid(input: string): ParsedPid {
  const pid = input.trim();
  if (!/^\d{11}$/.test(pid)) {
    throw new InvalidPidError('format', 'A national identity number has exactly 11 digits.');
  }
  const digits = [...pid].map(Number);
  const k1 = controlDigit(digits.slice(0, 9), K1);
  const k2 = k1 === undefined ? undefined : controlDigit([...digits.slice(0, 9), k1], K2);
  if (k1 !== digits[9] || k2 !== digits[10]) {
    throw new InvalidPidError('checksum', 'The control digits do not match; check the number for typing errors.');
  }

  let day = Number(pid.slice(0, 2));
  let month = Number(pid.slice(2, 4));
  const yy = Number(pid.slice(4, 6));
  const individual = Number(pid.slice(6, 9));

  const kind: PidKind = day > 40 ? 'd-number' : 'fodselsnummer';
  if (kind === 'd-number') day -= 40;
  const synthetic = month > 80;
  if (synthetic) month -= 80;

  const century = centuryFor(individual, yy);
  const year = century === undefined ? undefined : century + yy;
  if (year === undefined || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new InvalidPidError('date', 'The number does not contain a valid date of birth.');
  }
  return { pid, kind, synthetic, birthDate: { year, month, day } };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function ageOn(birth: ParsedPid['birthDate'], today: Date): number {
  let age = today.getUTCFullYear() - birth.year;
  if (today.getUTCMonth() + 1 < birth.month || (today.getUTCMonth() + 1 === birth.month && today.getUTCDate() < birth.day)) age -= 1;
  return age;
}

/**
 * A synthetic fødselsnummer (month + 80) for a birth date; `serial` picks among the valid
 * individual numbers of that date so callers get distinct, reproducible numbers.
 */
export function syntheticPid(birth: { year: number; month: number; day: number }, serial = 0, dNumber = false): string {
  const dd = String(birth.day + (dNumber ? 40 : 0)).padStart(2, '0');
  const mm = String(birth.month + 80).padStart(2, '0');
  const yy = String(birth.year % 100).padStart(2, '0');
  const [from, to] = birth.year < 1900 ? [500, 749] : birth.year < 2000 ? [0, 499] : [500, 999];
  let skipped = 0;
  for (let individual = from; individual <= to; individual++) {
    const pid = withControlDigits(`${dd}${mm}${yy}${String(individual).padStart(3, '0')}`);
    if (pid && skipped++ === serial) return pid;
  }
  throw new RangeError('no synthetic number left for that date');
}

/** Why a number cannot be used with TestID, or undefined if it can. Only synthetic numbers may be used. */
export function syntheticPidProblem(pid: string): string | undefined {
  try {
    if (!parsePid(pid).synthetic) return 'TestID accepts only synthetic test numbers (80 added to the month)';
    return undefined;
  } catch (err) {
    if (err instanceof InvalidPidError) return err.message;
    throw err;
  }
}
