// ID-porten's verification tests (profile §9.3): before production a service owner shows, in the
// test environment, that the service logs in, shares and ends SSO sessions as ID-porten expects.
// At ID-porten the owner does them by hand and vouches for them; Portvakt sees most of them happen
// in its protocol events, so each test passes by itself the first time the service does it — from a
// person clicking through or from the team's end-to-end tests — and says when.
//
// What counts as having done a test is written here, once, as filters over the events the provider
// records (provider/protocol-events.ts). Test 8 (the service ends its own session after 30 idle
// minutes) happens inside the service and leaves no trace here: the owner checks it and says so,
// and that statement, with who made it and when, is an entry in the audit log. Test 5 is described
// by ID-porten but in neither of its lists, so it is not here either.
import { DomainError } from '../registry/errors.js';
import type { EventFilter, ProtocolEvents } from '../registry/events.js';
import type { Access, Integrations, IntegrationView } from '../registry/integrations.js';
import type { Actor, AuditLog } from '../registry/audit.js';

const SUBSTANTIAL = 'idporten-loa-substantial';
const HIGH = 'idporten-loa-high';

export const VERIFICATION_TEST_NAMES = [
  'sso_from_service', 'sso_from_service_high', 'sso_to_service', 'sso_to_service_high', 'logout_from_service',
  'logout_from_another_service', 'idle_timeout', 'forced_login', 'onbehalfof', 'language',
] as const;
export type VerificationTestName = (typeof VERIFICATION_TEST_NAMES)[number];

interface VerificationTest {
  /** ID-porten's number for it. */
  number: number;
  name: VerificationTestName;
  mandatory: boolean;
  /** The event that shows it done; none: Portvakt cannot see it. */
  evidence?: EventFilter;
  /** What the integration must have registered before the test can pass. */
  needs?: 'frontchannel_logout_uri';
}

/** A fresh login (not SSO) answered to the client: the person saw Portvakt's login page. */
const freshLogin = { login: { not: 'sso' } } as const;

export const VERIFICATION_TESTS: readonly VerificationTest[] = [
  // 1, 2: logged in at the service, then another service (the demo) is logged in by SSO on that login.
  { number: 1, name: 'sso_from_service', mandatory: true, evidence: { type: 'sso', outcome: 'success', detail: { acr: SUBSTANTIAL } } },
  { number: 2, name: 'sso_from_service_high', mandatory: false, evidence: { type: 'sso', outcome: 'success', detail: { acr: HIGH } } },
  // 3, 4: logged in at another service, then at this one by SSO on that login.
  { number: 3, name: 'sso_to_service', mandatory: true, evidence: { type: 'authorize', outcome: 'success', detail: { sso_from: 'another', acr: SUBSTANTIAL } } },
  { number: 4, name: 'sso_to_service_high', mandatory: false, evidence: { type: 'authorize', outcome: 'success', detail: { sso_from: 'another', acr: HIGH } } },
  // 6: the service logs out, and its session held another service too (which is logged out with it).
  { number: 6, name: 'logout_from_service', mandatory: true, evidence: { type: 'logout', outcome: 'success', detail: { other_services: { atLeast: 1 } } } },
  // 7: another service logs out, and this one's front-channel logout URI is loaded.
  {
    number: 7, name: 'logout_from_another_service', mandatory: true, needs: 'frontchannel_logout_uri',
    evidence: { type: 'frontchannel_logout', outcome: 'success', detail: { initiated_by: 'another' } },
  },
  { number: 8, name: 'idle_timeout', mandatory: true },
  // 9–11: needed only by services that use what they test.
  { number: 9, name: 'forced_login', mandatory: false, evidence: { type: 'authorize', outcome: 'success', detail: { prompt: 'login', ...freshLogin } } },
  { number: 10, name: 'onbehalfof', mandatory: false, evidence: { type: 'authorize', outcome: 'success', detail: { onbehalfof: { present: true } } } },
  { number: 11, name: 'language', mandatory: false, evidence: { type: 'authorize', outcome: 'success', detail: { ui_locales: { present: true }, ...freshLogin } } },
];

/** The audit log's action for an owner's statement about a test Portvakt cannot see. */
export const CONFIRM_ACTION = 'verification.confirm';

export interface VerificationResult {
  test: number;
  name: VerificationTestName;
  mandatory: boolean;
  /**
   * passed: seen done (when: passed_at); not_yet: not seen in the events kept; check_yourself:
   * Portvakt cannot see it, and nobody has said it is done; confirmed: the owner said so (confirmed_at).
   */
  status: 'passed' | 'not_yet' | 'check_yourself' | 'confirmed';
  passed_at?: string;
  confirmed_at?: string;
  /** What the integration lacks for the test to pass. */
  needs?: 'frontchannel_logout_uri';
}

export interface VerificationReport {
  client_id: string;
  environment: string;
  /** Every mandatory test has passed, or (test 8) been confirmed by the owner. */
  mandatory_passed: boolean;
  /** Events older than this many days are gone, and a test seen only in them must be done again. */
  evidence_kept_days: number;
  tests: VerificationResult[];
}

export interface Verification {
  report(access: Access, clientId: string): Promise<VerificationReport>;
  /** The owner says a test Portvakt cannot see is done (or takes that back); audited. */
  confirm(access: Access, clientId: string, test: string, confirmed: boolean, actor: Actor): Promise<VerificationReport>;
}

export interface VerificationOptions {
  environment: string;
  evidenceKeptDays: number;
}

/** Integration types that log people in, and so have verification tests. */
const LOGIN_INTEGRATION_TYPES = new Set(['idporten', 'api_klient']);

export function createVerification(integrations: Integrations, events: ProtocolEvents, audit: AuditLog, options: VerificationOptions): Verification {
  const observable = VERIFICATION_TESTS.filter((test) => test.evidence);
  const filters = Object.fromEntries(observable.map((test) => [test.name, test.evidence!])) as Record<VerificationTestName, EventFilter>;

  /** When the owner last confirmed each test Portvakt cannot see, unless they took it back since. */
  async function confirmations(clientId: string): Promise<Map<string, Date>> {
    const confirmed = new Map<string, Date>();
    const decided = new Set<string>();
    // Newest first: the latest statement about a test is the one that holds.
    for (const entry of await audit.list({ clientId, action: CONFIRM_ACTION, limit: 100 })) {
      const test = String(entry.after?.test ?? '');
      if (decided.has(test)) continue;
      decided.add(test);
      if (entry.after?.confirmed === true) confirmed.set(test, entry.at);
    }
    return confirmed;
  }

  /** The report of an integration the caller may see and that has verification tests. */
  async function reportOf(integration: IntegrationView): Promise<VerificationReport> {
    const clientId = integration.client_id;
    const [latest, confirmed] = await Promise.all([events.latestMatching(clientId, filters), confirmations(clientId)]);
    const tests = VERIFICATION_TESTS.map((test): VerificationResult => {
      const result = { test: test.number, name: test.name, mandatory: test.mandatory };
      if (!test.evidence) {
        const at = confirmed.get(test.name);
        return at ? { ...result, status: 'confirmed', confirmed_at: at.toISOString() } : { ...result, status: 'check_yourself' };
      }
      const at = latest[test.name];
      if (at) return { ...result, status: 'passed', passed_at: at.toISOString() };
      const lacks = test.needs && !integration[test.needs] ? { needs: test.needs } : {};
      return { ...result, status: 'not_yet', ...lacks };
    });
    return {
      client_id: clientId,
      environment: options.environment,
      mandatory_passed: tests.every((t) => !t.mandatory || t.status === 'passed' || t.status === 'confirmed'),
      evidence_kept_days: options.evidenceKeptDays,
      tests,
    };
  }

  return {
    async report(access, clientId) {
      const integration = await integrations.get(access, clientId);
      checkApplies(integration);
      return reportOf(integration);
    },
    async confirm(access, clientId, name, confirmed, actor) {
      const integration = await integrations.get(access, clientId);
      checkApplies(integration);
      const test = VERIFICATION_TESTS.find((t) => t.name === name);
      if (!test) throw new DomainError('verification.unknown_test', `there is no verification test ${JSON.stringify(name.slice(0, 100))}; the tests are ${VERIFICATION_TEST_NAMES.join(', ')}`);
      if (test.evidence) throw new DomainError('verification.observed', `test ${test.number} (${test.name}) is one Portvakt sees done: do it with the service, and it passes`);
      await audit.record({ actor, action: CONFIRM_ACTION, orgno: integration.client_orgno, clientId, after: { test: test.name, confirmed } });
      return reportOf(integration);
    },
  };
}

/**
 * Why an integration has no verification tests, if it has none. (Every environment Portvakt runs in
 * has TestID today, a production one only as a demo; with real login methods, production would say
 * here that the tests are done in test.)
 */
function checkApplies(integration: IntegrationView): void {
  if (!LOGIN_INTEGRATION_TYPES.has(integration.integration_type)) {
    throw new DomainError('verification.not_login', `verification tests are for integrations that log people in; ${integration.client_id} is a ${integration.integration_type} integration`);
  }
}
