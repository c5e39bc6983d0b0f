// A fast, well-mixed, synchronous 53-bit string hash for the consistent-hash ring
// (crypto.subtle digests are async and far slower than a pick should be). Two 32-bit
// multiply-xorshift lanes folded into 53 bits (the cyrb53 construction, public domain);
// 53 bits keep ring positions collision-free in practice and exact as JS numbers.
// Not for security: anyone can find collisions on purpose.

export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
