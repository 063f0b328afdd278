// Pages that differ from one request to the next only in a few opaque values (an interaction's
// path, a CSRF token) are rendered once per variant with a marker in each such place; later requests
// join the cached pieces with their own values. Rendering the TestID page afresh for every login was
// a measurable part of a login's CPU and garbage; joining a handful of strings is not.
import crypto from 'node:crypto';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element text and in quoted attribute values, the only places a slot may stand. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

interface Template<Slot extends string> {
  pieces: string[];
  slots: Slot[];
}

export class SlottedPages<Slot extends string> {
  readonly #markers: Record<Slot, string>;
  readonly #pattern: RegExp;
  readonly #templates = new Map<string, Template<Slot>>();

  /** Slot names are word characters; at most `maxVariants` variants are kept (then all are dropped). */
  constructor(slots: readonly Slot[], private readonly maxVariants = 256) {
    if (slots.some((slot) => !/^\w+$/.test(slot))) throw new Error('slot names must be word characters');
    // A marker nobody can type into a page: it carries a random part chosen at start.
    const nonce = crypto.randomBytes(8).toString('hex');
    this.#markers = Object.fromEntries(slots.map((slot) => [slot, `slot${nonce}x${slot}`])) as Record<Slot, string>;
    this.#pattern = new RegExp(`slot${nonce}x(${slots.join('|')})`, 'g');
  }

  /**
   * The page of `variant` with `values` in its slots. `draw` renders the variant, given markers to
   * put where the values go; it runs once per variant, so everything else it uses must be part of
   * the variant's name.
   */
  render(variant: string, draw: (markers: Readonly<Record<Slot, string>>) => string, values: Readonly<Record<Slot, string>>): string {
    let template = this.#templates.get(variant);
    if (!template) {
      template = this.#split(draw(this.#markers));
      if (this.#templates.size >= this.maxVariants) this.#templates.clear();
      this.#templates.set(variant, template);
    }
    let html = template.pieces[0]!;
    for (let i = 0; i < template.slots.length; i++) html += escapeHtml(values[template.slots[i]!]) + template.pieces[i + 1]!;
    return html;
  }

  #split(html: string): Template<Slot> {
    const pieces: string[] = [];
    const slots: Slot[] = [];
    let from = 0;
    for (const match of html.matchAll(this.#pattern)) {
      pieces.push(html.slice(from, match.index));
      slots.push(match[1] as Slot);
      from = match.index + match[0].length;
    }
    pieces.push(html.slice(from));
    return { pieces, slots };
  }
}
