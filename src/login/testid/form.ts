// What a submitted TestID form means: cancel, a login, or a number to correct.
import { ACR_VALUES, type Acr } from '../../provider/acr.js';
import { InvalidPidError, parsePid, syntheticPidProblem } from '../../identity/pid.js';
import type { MessageKey } from '../../ui/i18n/index.js';

export type TestIdSubmission =
  | { kind: 'cancel' }
  | { kind: 'login'; pid: string; acr: Acr }
  | { kind: 'invalid'; pid: string; acr: Acr | undefined; error: MessageKey };

/** Levels a person may choose: those meeting the client's minimum (profile §2.3). */
export function levelsFor(required: Acr | undefined): Acr[] {
  return ACR_VALUES.filter((level) => required !== 'idporten-loa-high' || level === 'idporten-loa-high');
}

export function readTestIdForm(body: Record<string, unknown>, required: Acr | undefined): TestIdSubmission {
  if (body.action === 'cancel') return { kind: 'cancel' };
  // A picker button sends the person's number as `pick`; the typed field is `pid`.
  const pid = String(body.pick ?? body.pid ?? '').replace(/\s+/g, '');
  const acr = ACR_VALUES.find((level) => level === body.acr);
  const error = pidProblem(pid);
  if (error) return { kind: 'invalid', pid, acr, error };
  if (!acr || !levelsFor(required).includes(acr)) return { kind: 'invalid', pid, acr: undefined, error: 'login.error.level' };
  return { kind: 'login', pid, acr };
}

function pidProblem(pid: string): MessageKey | undefined {
  try {
    parsePid(pid);
  } catch (err) {
    if (err instanceof InvalidPidError) return `login.error.${err.problem}`;
    throw err;
  }
  return syntheticPidProblem(pid) ? 'login.error.notSynthetic' : undefined;
}
