// TestID, ID-porten's test-only login method: type (or pick) a synthetic identity number, choose the level.
import type { Locale } from '../../provider/locale.js';
import type { Acr } from '../../provider/acr.js';
import { render } from 'preact-render-to-string';
import { ageOfPid, testPersons, type TestPerson } from '../../identity/test-persons.js';
import { translator, type MessageKey, type Translate } from '../../ui/i18n/index.js';
import { Layout, renderPage } from '../../ui/layout.js';
import { Decision } from '../../ui/decision.js';

export interface TestIdPageProps {
  locale: Locale;
  action: string;
  csrf: string;
  serviceName: string;
  /** Levels the person may choose: those meeting the client's minimum. */
  levels: Acr[];
  selectedLevel: Acr;
  pid?: string | undefined;
  error?: MessageKey | undefined;
  /** The test population; its rows are rendered once per language and day (ages change daily). */
  persons: Array<TestPerson & { age: number; representative?: boolean }>;
  today: string;
  languageHref: (locale: Locale) => string;
}

const LEVEL_LABEL: Record<Acr, MessageKey> = {
  'idporten-loa-substantial': 'login.level.substantial',
  'idporten-loa-high': 'login.level.high',
};

export function renderTestIdPage(p: TestIdPageProps): string {
  const t = translator(p.locale);
  const describedBy = p.error ? 'pid-hint pid-error' : 'pid-hint';
  return renderPage(
    <Layout locale={p.locale} t={t} title={t('login.title')} languageHref={p.languageHref}>
      <h1>{t('login.title')}</h1>
      <p class="lead">{t('login.intro', { service: p.serviceName })}</p>
      <p class="note">{t('login.testOnly')}</p>
      {p.error && (
        <div class="ds-error-summary" role="alert" aria-labelledby="error-title">
          <h2 id="error-title">{t('login.error.title')}</h2>
          <p><a href="#pid">{t(p.error)}</a></p>
        </div>
      )}
      <form method="post" action={p.action} class="login-form">
        <input type="hidden" name="csrf" value={p.csrf} />
        <div class="ds-field">
          <label class="ds-label" for="pid">{t('login.pid')}</label>
          <p id="pid-hint" class="hint">{t('login.pidHint')}</p>
          {p.error && <p id="pid-error" class="ds-validation-message" data-field="validation">{t(p.error)}</p>}
          <input class="ds-input" id="pid" name="pid" type="text" inputMode="numeric" autocomplete="off" pattern="[0-9]{11}" maxLength={11}
            required aria-describedby={describedBy} aria-invalid={p.error ? 'true' : undefined} value={p.pid ?? ''} />
        </div>
        <fieldset class="ds-fieldset">
          <legend class="ds-label">{t('login.level')}</legend>
          {p.levels.map((level) => (
            <div class="ds-field" key={level}>
              <input class="ds-input" type="radio" id={`acr-${level}`} name="acr" value={level} checked={level === p.selectedLevel} />
              <label class="ds-label" for={`acr-${level}`}>{t(LEVEL_LABEL[level])}</label>
            </div>
          ))}
        </fieldset>
        <Decision proceed={{ value: 'login', label: t('login.submit') }} back={{ value: 'cancel', label: t('login.cancel') }} backSkipsValidation />
        <section aria-labelledby="picker-title" class="picker">
          <h2 id="picker-title">{t('login.picker')}</h2>
          <div class="table-scroll">
          <table class="ds-table">
            <thead>
              <tr><th scope="col">{t('login.picker.name')}</th><th scope="col">{t('login.picker.pid')}</th><th scope="col">{t('login.picker.age')}</th><th scope="col"><span class="visually-hidden">{t('login.picker.use')}</span></th></tr>
            </thead>
            <tbody dangerouslySetInnerHTML={{ __html: pickerRows(p.locale, p.today, p.persons, t) }} />
          </table>
          </div>
        </section>
      </form>
    </Layout>,
  );
}

/** What makes a test person worth picking, shown beside the name. */
function personTags(person: TestIdPageProps['persons'][number]): MessageKey[] {
  const tags: MessageKey[] = [];
  if (person.dNumber) tags.push('login.person.dNumber');
  if (person.age < 18) tags.push('login.person.minor');
  if (person.age >= 80) tags.push('login.person.senior');
  if (person.representative) tags.push('login.person.representative');
  return tags;
}

const rowsCache = new Map<string, string>();

function pickerRows(locale: Locale, today: string, persons: TestIdPageProps['persons'], t: Translate): string {
  // Who holds a fullmakt depends on the installation's relations, so it is part of the key.
  const key = `${locale}|${today}|${persons.filter((p) => p.representative).map((p) => p.pid).join(',')}`;
  let html = rowsCache.get(key);
  if (html === undefined) {
    html = render(
      <>
        {persons.map((person) => {
          const name = `${person.givenName} ${person.familyName}`;
          return (
            <tr key={person.pid}>
              <td>{name}{personTags(person).map((tag) => <span class="ds-tag" data-color="info" key={tag}>{t(tag)}</span>)}</td>
              <td><code>{person.pid}</code></td>
              <td>{person.age}</td>
              <td>
                <button type="submit" name="pick" value={person.pid} formNoValidate class="ds-button" data-variant="tertiary" aria-label={t('login.picker.useFor', { name })}>
                  {t('login.picker.use')}
                </button>
              </td>
            </tr>
          );
        })}
      </>,
    );
    if (rowsCache.size > 32) rowsCache.clear(); // a new day: forget the old ones
    rowsCache.set(key, html);
  }
  return html;
}

let ofToday: { today: string; persons: TestIdPageProps['persons'] } | undefined;

/** The test population with today's ages, computed once a day. */
export function testPersonsOfToday(): { today: string; persons: TestIdPageProps['persons'] } {
  const today = new Date().toISOString().slice(0, 10);
  if (ofToday?.today !== today) ofToday = { today, persons: testPersons.map((p) => ({ ...p, age: ageOfPid(p.pid) })) };
  return ofToday;
}
