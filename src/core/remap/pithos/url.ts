// The 0.12 public-link encoding that revision 27381099d477 stores in public.url, so that
// links handed out by 0.12 (/public/<encode_url(public_id + 42)>) keep working in 0.13
// (pithos.md §1.11; upstream snf-pithos-app/pithos/api/short_url.py).

export const LEGACY_URL_ALPHABET = 'mn6j2c4rv8bpygw95z7hsdaetxuk3fq';
/** The offset 0.12 adds to public_id before encoding. */
export const ULTIMATE_ANSWER = 42n;
const BLOCK_BITS = 24n;
const BLOCK_MASK = (1n << BLOCK_BITS) - 1n;
const MIN_LENGTH = 5;

/** short_url.encode_url(n): the low 24 bits reversed, then base 31, left-padded to 5 with 'm'. */
export function encodeUrl(n: bigint): string {
  if (n < 0n) throw new RangeError(`cannot encode a negative number (${n})`);
  let rev = 0n;
  for (let i = 0n; i < BLOCK_BITS; i++) {
    if ((n >> i) & 1n) rev |= 1n << (BLOCK_BITS - 1n - i);
  }
  let x = (n & ~BLOCK_MASK) | rev;
  const base = BigInt(LEGACY_URL_ALPHABET.length);
  let s = '';
  do {
    s = LEGACY_URL_ALPHABET[Number(x % base)]! + s;
    x /= base;
  } while (x > 0n);
  return s.length < MIN_LENGTH ? LEGACY_URL_ALPHABET[0]!.repeat(MIN_LENGTH - s.length) + s : s;
}

/** The url 27381099d477 gives a 0.12 public row: encode_url(public_id + 42). */
export function legacyPublicUrl(publicId: number | bigint | string): string {
  return encodeUrl(BigInt(publicId) + ULTIMATE_ANSWER);
}
