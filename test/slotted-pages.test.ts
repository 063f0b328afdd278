// Cached page variants with per-request values (src/ui/slotted-pages.ts).
import { describe, expect, it } from 'vitest';
import { SlottedPages } from '../src/ui/slotted-pages.js';

describe('slotted pages', () => {
  it('draws a variant once and fills its slots per request, escaped', () => {
    const pages = new SlottedPages(['path', 'csrf']);
    let draws = 0;
    const draw = (slot: { path: string; csrf: string }) => {
      draws++;
      return `<form action="${slot.path}"><input name="csrf" value="${slot.csrf}"></form><a href="${slot.path}?lang=en">en</a>`;
    };
    expect(pages.render('nb', draw, { path: '/login/abc', csrf: 't1' })).toBe('<form action="/login/abc"><input name="csrf" value="t1"></form><a href="/login/abc?lang=en">en</a>');
    expect(pages.render('nb', draw, { path: '/login/def', csrf: '"><script>' })).toBe('<form action="/login/def"><input name="csrf" value="&quot;&gt;&lt;script&gt;"></form><a href="/login/def?lang=en">en</a>');
    expect(draws).toBe(1);
    pages.render('en', draw, { path: '/login/x', csrf: 't' });
    expect(draws).toBe(2);
  });

  it('a value that looks like a slot marker stays text', () => {
    const pages = new SlottedPages(['a', 'b']);
    let marker = '';
    const draw = (slot: { a: string; b: string }) => ((marker = slot.b), `${slot.a}|${slot.b}`);
    expect(pages.render('v', draw, { a: 'x', b: 'y' })).toBe('x|y');
    expect(pages.render('v', draw, { a: marker, b: 'y' })).toBe(`${marker}|y`);
  });

  it('keeps at most maxVariants variants', () => {
    const pages = new SlottedPages(['v'], 2);
    let draws = 0;
    const draw = (slot: { v: string }) => (draws++, slot.v);
    for (const variant of ['a', 'b', 'c', 'a']) pages.render(variant, draw, { v: variant });
    expect(draws).toBe(4); // 'c' made room by dropping 'a' and 'b'
  });
});
