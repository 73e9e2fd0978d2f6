// Every way a secret (password, token) is kept off the screen, logs, report and state file
// (design rule 8): scrubbed from messages, masked in settings diffs, hidden in snippets
// behind a fingerprint, dropped from URLs that are shown.
import { createHash, randomBytes } from 'node:crypto';
import { pyString } from './core/settings/values.js';

/** Removes anything that looks like a password from a message before it is shown. */
export function scrubSecrets(text: string, urls: string[] = []): string {
  let out = text;
  for (const url of urls) {
    try {
      const u = new URL(url);
      for (const pw of [u.password, u.searchParams.get('password') ?? '']) {
        if (pw) out = out.split(pw).join('***').split(decodeURIComponent(pw)).join('***');
      }
    } catch { /* not a URL */ }
  }
  if (process.env.PGPASSWORD) out = out.split(process.env.PGPASSWORD).join('***');
  return out.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@').replace(/([?&]password=)[^&\s]*/gi, '$1***');
}

/** A URL without its user name and password, for showing (an unparseable one quoted and cut). */
export function urlWithoutCredentials(s: string): string {
  try {
    const u = new URL(s);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return pyString(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  }
}

/** A random url-safe token of 32 characters (24 random bytes). */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** What may be shown of a secret: "sha256:1a2b3c4d". */
export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 8)}`;
}

/**
 * How a hidden secret shows in the snippets: not Python, so a pasted hidden line fails loudly
 * instead of setting a wrong value. HOW names the way to see it (wizard: "t").
 */
export const hiddenSecret = (value: string, how: string): string => `<hidden ${fingerprint(value)}, ${how} shows it>`;

/** TEXT with every secret's literal (quoted or bare) replaced by its hidden form. */
export function hideSecrets(text: string, secrets: readonly { value: string }[], how: string): string {
  let out = text;
  for (const { value } of secrets) {
    if (!value) continue;
    for (const literal of [pyString(value), `"${value}"`, value]) out = out.split(literal).join(hiddenSecret(value, how));
  }
  return out;
}

const SECRET_LINE = /^([ +-]?\s*(?:[A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|_KEY)[A-Z0-9_]*\s*=|['"](?:PASSWORD|PASSWD)['"]\s*:))(.*)$/i;

/**
 * A diff fit to show and store: the value of any line that sets a token, secret, password
 * or key (context lines included) is replaced by "<hidden>".
 */
export function maskSecrets(diff: string): string {
  return diff.split('\n').map((line) => {
    if (line.startsWith('---') || line.startsWith('+++') || line.startsWith('@@')) return line;
    const m = SECRET_LINE.exec(line);
    return m ? `${m[1]} <hidden>` : line;
  }).join('\n');
}
