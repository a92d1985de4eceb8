import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/audit/canonical-json.js';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys and leaves no whitespace, at every depth', () => {
    expect(canonicalJson({ b: [1, { z: true, a: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"a":null,"z":true}]}');
  });

  it('sorts keys by UTF-16 code units, not by code points', () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 in UTF-16 though its code point is higher
    const value = { '\uFB33': 6, '\u{1F600}': 5, '\u20AC': 4, '\u00F6': 3, '\u0080': 2, '1': 1, '\r': 0 };
    expect(canonicalJson(value)).toBe('{"\\r":0,"1":1,"\u0080":2,"\u00F6":3,"\u20AC":4,"\u{1F600}":5,"\uFB33":6}');
  });

  it('prints numbers as ECMAScript does', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [-0, '0'],
      [4.5, '4.5'],
      [0.002, '0.002'],
      [0.000001, '0.000001'],
      [1e-7, '1e-7'],
      [1e21, '1e+21'],
      [1e30, '1e+30'],
      [Number('333333333.33333329'), '333333333.3333333'],
      [9007199254740991, '9007199254740991'],
      [-1.5e-300, '-1.5e-300'],
    ];
    for (const [n, text] of cases) expect(canonicalJson(n)).toBe(text);
  });

  it('escapes strings minimally: control characters as \\u, quotes and backslashes, the rest as is', () => {
    expect(canonicalJson('\u000f\n"\\é\u2028€')).toBe('"\\u000f\\n\\"\\\\é\u2028€"');
  });

  it('refuses values with no canonical form', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 10n, '\uD800', [undefined], new Date(0), () => 1]) {
      expect(() => canonicalJson(bad)).toThrow(expect.objectContaining({ code: 'STEWARD_VALIDATION' }));
    }
  });

  it('leaves out properties whose value is undefined, as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
