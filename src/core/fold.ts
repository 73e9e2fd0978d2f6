// Case folding as 0.13 applies it to emails (Python 2 unicode.lower()), shared by every step
// that compares account names.

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Python 2 `unicode.lower()`: the simple (one code point to one code point) Unicode
 * lowercase mapping, applied code point by code point, without context. JavaScript's
 * toLowerCase() uses the full mapping with context, which differs in two places: U+0130
 * (İ) becomes "i" + U+0307 there but plain "i" in Python 2, and a final Σ becomes ς there
 * but σ in Python 2. Both are handled by mapping single code points and keeping only
 * one-to-one results.
 */
export function pyLower(text: string): string {
  if (isAscii(text)) return text.toLowerCase();
  let out = '';
  for (const ch of text) {
    if (ch === '\u0130') { out += 'i'; continue; }
    const lowered = ch.toLowerCase();
    // Any other one-to-many result (none exist in Unicode's lowercase mappings today) keeps the character.
    out += [...lowered].length === 1 ? lowered : ch;
  }
  return out;
}
