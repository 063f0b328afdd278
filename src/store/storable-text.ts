// What PostgreSQL's text, json and jsonb columns can hold. A JavaScript string can carry two things
// they refuse: U+0000 (a %00 in a URL, a \u0000 in JSON) and half of a surrogate pair (a \ud800
// escape in JSON without its partner). Input that carries either is refused where it comes in, so
// no stored row has one, and a lookup by such a key can answer "none" without asking the database
// (which would answer with an error instead).

/** Why the database could not hold this text, or undefined if it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'holds a NUL character (U+0000)';
  if (!text.isWellFormed()) return 'is not valid Unicode text: it holds half of a surrogate pair (a JSON escape such as \\ud800 without its partner)';
  return undefined;
}

export const isStorableText = (text: string): boolean => unstorableText(text) === undefined;
