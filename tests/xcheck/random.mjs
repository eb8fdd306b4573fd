// What xcheck.mjs and kubo-xcheck.mjs share: the run's options from the
// environment, the seeded random streams, and the random file sizes and
// names of the cases.
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const MiB = 1024 * 1024

// The wanda-dag under test (WANDA_BIN), and PREFIX_SEED (printed by the
// caller; random unless set), PREFIX_CASES (default 200), PREFIX_ONLY (one
// case of the seed, or null).
export function runOptions (prefix) {
  const env = process.env
  return {
    wandaDag: path.join(env.WANDA_BIN ?? path.join(top, 'build/bin'), 'wanda-dag'),
    seed: Number(env[`${prefix}_SEED`] ?? Math.floor(Math.random() * 2 ** 31)),
    ncases: Number(env[`${prefix}_CASES`] ?? 200),
    only: env[`${prefix}_ONLY`] != null ? Number(env[`${prefix}_ONLY`]) : null
  }
}

// mulberry32: small, fast, deterministic; one stream per case so that
// PREFIX_ONLY replays a case without generating the ones before it.
export function rng (s) {
  let a = s >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (xs) => xs[Math.floor(next() * xs.length)]
  const logInt = (lo, hi) => Math.floor(Math.exp(Math.log(lo) + next() * (Math.log(hi + 1) - Math.log(lo))))
  return { next, int, pick, logInt }
}

// A file size: a few of 0-2 bytes, then up to mix.small small (up to 64 KiB),
// up to mix.medium medium (up to 3 MiB), the rest big (8 MiB to mix.maxMiB),
// but never big unless big is set.
export function fileSize (r, big, mix) {
  const x = r.next()
  if (x < 0.08) return r.int(0, 2)
  if (x < mix.small) return r.logInt(3, 64 * 1024)
  if (x < mix.medium || !big) return r.logInt(64 * 1024, 3 * MiB)
  return r.int(8 * MiB, mix.maxMiB * MiB)
}

const nameChars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+=,@ éü日本ß']

// A new name in a directory whose names so far are in used.
export function name (r, used) {
  for (;;) {
    let s = ''
    for (let i = r.logInt(1, 40); i > 0; i--) s += r.pick(nameChars)
    s = s.trim()
    // Kubo skips hidden names without -H; "." and ".." are not names
    if (s === '' || s.startsWith('.') || used.has(s)) continue
    used.add(s)
    return s
  }
}
