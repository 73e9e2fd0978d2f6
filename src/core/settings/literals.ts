// Python 2 string and number literals → values.

/** Thrown for whatever the tool does not evaluate; the message is the reason shown. */
export class Unsupported extends Error {}

export const isQuote = (ch: string | undefined): boolean => ch === "'" || ch === '"';


/** Python 2 string literal → its value. Escapes follow Python 2: \u only in u'' strings. */
export function decodeString(raw: string, unicodeRaw = false): { value: string } | { error: string } {
  let i = 0;
  let prefix = '';
  while (i < raw.length && !isQuote(raw[i])) prefix += raw[i++]!.toLowerCase();
  const q = raw[i];
  if (q === undefined) return { error: 'invalid string literal' };
  const triple = raw.slice(i, i + 3) === q.repeat(3);
  const close = triple ? q.repeat(3) : q;
  const start = i + close.length;
  let end = -1;
  for (let j = start; j < raw.length; j++) {
    if (raw[j] === '\\') {
      j++;
      continue;
    }
    if (raw.startsWith(close, j)) {
      end = j;
      break;
    }
  }
  if (end < 0 || end + close.length !== raw.length) return { error: 'unterminated string' };
  const body = raw.slice(start, end);
  const isRaw = prefix.includes('r');
  const isUnicode = prefix.includes('u') || unicodeRaw;
  if (isRaw && !isUnicode) return { value: body };
  let out = '';
  for (let j = 0; j < body.length; j++) {
    const ch = body[j]!;
    if (ch !== '\\' || j + 1 >= body.length) {
      out += ch;
      continue;
    }
    const e = body[j + 1]!;
    if (isRaw) {
      // ur'…': only \u and \U escapes are processed.
      if ((e === 'u' || e === 'U')) {
        const n = e === 'u' ? 4 : 8;
        const cp = parseHex(body.slice(j + 2, j + 2 + n), n);
        if (cp === undefined) return { error: 'invalid \\u escape in string' };
        out += String.fromCodePoint(cp);
        j += 1 + n;
      } else out += ch;
      continue;
    }
    j++;
    switch (e) {
      case '\n': break;
      case '\r': if (body[j + 1] === '\n') j++; break;
      case '\\': out += '\\'; break;
      case "'": out += "'"; break;
      case '"': out += '"'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': {
        const cp = parseHex(body.slice(j + 1, j + 3), 2);
        if (cp === undefined) return { error: 'invalid \\x escape in string' };
        out += String.fromCodePoint(cp);
        j += 2;
        break;
      }
      case 'u': case 'U': case 'N': {
        if (!isUnicode) {
          out += `\\${e}`;
          break;
        }
        if (e === 'N') return { error: '\\N{…} escapes are not supported' };
        const n = e === 'u' ? 4 : 8;
        const cp = parseHex(body.slice(j + 1, j + 1 + n), n);
        if (cp === undefined || cp > 0x10ffff) return { error: `invalid \\${e} escape in string` };
        out += String.fromCodePoint(cp);
        j += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          let k = j;
          let v = 0;
          while (k < body.length && k < j + 3 && body[k]! >= '0' && body[k]! <= '7') v = v * 8 + (body.charCodeAt(k++) - 48);
          out += String.fromCodePoint(v);
          j = k - 1;
        } else out += `\\${e}`;
    }
  }
  return { value: out };
}

function parseHex(s: string, n: number): number | undefined {
  if (s.length !== n) return undefined;
  let v = 0;
  for (const ch of s.toLowerCase()) {
    const d = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch >= 'a' && ch <= 'f' ? ch.charCodeAt(0) - 87 : -1;
    if (d < 0) return undefined;
    v = v * 16 + d;
  }
  return v;
}

/** Python 2 number literal (the L suffix already stripped) → bigint or float. */
export function parseNumber(text: string): bigint | number {
  const t = text.split('_').join('').toLowerCase();
  if (t.endsWith('j')) throw new Unsupported('complex number');
  if (t.startsWith('0x') || t.startsWith('0o') || t.startsWith('0b')) return BigInt(t);
  if (t.includes('.') || t.includes('e') || t === 'inf' || t === 'nan') return Number(t);
  if (t.length > 1 && t.startsWith('0')) {
    // Python 2 octal: 0755.
    const digits = t.slice(1);
    for (const ch of digits) if (ch < '0' || ch > '7') throw new Unsupported(`invalid octal number ${text}`);
    return BigInt(`0o${digits}`);
  }
  return BigInt(t);
}
