#!/usr/bin/env node
// Randomized differential test of `wanda-dag add` against the real thing:
// Kubo's `ipfs add` (the binary tests/kubo-build built, IPFS_BIN), offline,
// in repos of its own under a temporary directory.
//
// For a seed (printed; WANDA_KUBO_XCHECK_SEED=N replays it) it generates
// WANDA_KUBO_XCHECK_CASES (default 200) random files and directory trees,
// each under one of the import settings below (both CID versions, raw leaves
// on and off, chunkers, link limits, trickle, HAMT on and off with both size
// estimations and several fanouts, the unixfs-v1-2025 profile, sha2-512).
// Per setting, all its cases go through one `ipfs add --only-hash` and one
// `ipfs add` (the blocks, for the export); per case, `wanda-dag add --car`
// must print the root both printed, and write the same bytes `ipfs dag
// export ROOT` writes.
//
// Kubo's two paths disagree in one known case: `ipfs add --only-hash`
// ignores `--max-hamt-fanout` for the directory named on the command line
// (it shards it with the default fanout 256; every directory below it, and
// `ipfs add` itself, honour the flag). There the stored DAG, the one Kubo
// pins and exports, is the truth: the case is checked against it and
// reported on a `# kubo:` line. Any other disagreement is a harness error. It reports the first difference with
// the seed, the case and its setting; WANDA_KUBO_XCHECK_ONLY=K runs case K of
// that seed alone, WANDA_KUBO_XCHECK_KEEP=1 keeps the directory.
// Exit 0 all equal, 1 a difference, 2 a harness error.
import { spawnSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { MiB, fileSize, name, rng, runOptions } from './random.mjs'

const { wandaDag, seed, ncases, only } = runOptions('WANDA_KUBO_XCHECK')
const ipfs = process.env.IPFS_BIN
const SIZES = { small: 0.55, medium: 0.94, maxMiB: 40 }

// The repos: Kubo's defaults, the unixfs-v1-2025 profile, and each with a
// HAMT threshold low enough that small test trees shard. The threshold is
// configuration only in Kubo (no add flag), hence one repo per value.
const repos = {
  legacy: { profile: 'test', config: {} },
  v1: { profile: 'test,unixfs-v1-2025', config: {} },
  hamtLinks: { profile: 'test', config: { 'Import.UnixFSHAMTDirectorySizeThreshold': '1KiB' } },
  hamtBlock: { profile: 'test,unixfs-v1-2025', config: { 'Import.UnixFSHAMTDirectorySizeThreshold': '2KiB' } }
}

// The settings: the repo, the flags for `ipfs add` and the same for wanda-dag.
const V1 = ['--profile=unixfs-v1-2025']
const settings = [
  { repo: 'legacy', ipfs: [], wanda: [] },
  { repo: 'legacy', ipfs: [], wanda: ['--profile=unixfs-v0-2015'] },
  { repo: 'legacy', ipfs: ['--cid-version=1'] },
  { repo: 'legacy', ipfs: ['--cid-version=1', '--raw-leaves=false'] },
  { repo: 'legacy', ipfs: ['--raw-leaves'] },
  { repo: 'legacy', ipfs: ['--chunker=size-1000', '--max-file-links=7'] },
  { repo: 'legacy', ipfs: ['--chunker=size-65536'] },
  { repo: 'legacy', ipfs: ['--cid-version=1', '--chunker=size-1048576'] },
  { repo: 'legacy', ipfs: ['--trickle'] },
  { repo: 'legacy', ipfs: ['--trickle', '--chunker=size-4096', '--max-file-links=5'] },
  { repo: 'legacy', ipfs: ['--trickle', '--cid-version=1', '--raw-leaves=false', '--chunker=size-1000'] },
  { repo: 'legacy', ipfs: ['--cid-version=1', '--hash=sha2-512', '--chunker=size-100000'] },
  { repo: 'v1', ipfs: [], wanda: V1 },
  { repo: 'v1', ipfs: ['--trickle'], wanda: [...V1, '--trickle'] },
  { repo: 'v1', ipfs: ['--chunker=size-2048', '--max-file-links=3'], wanda: [...V1, '--chunker=size-2048', '--max-file-links=3'] },
  { repo: 'hamtLinks', ipfs: [], wanda: ['--hamt-threshold=1024'] },
  { repo: 'hamtLinks', ipfs: ['--max-hamt-fanout=8', '--cid-version=1'], wanda: ['--hamt-threshold=1024', '--hamt-fanout=8', '--cid-version=1'] },
  { repo: 'hamtBlock', ipfs: [], wanda: [...V1, '--hamt-threshold=2048'] },
  { repo: 'hamtBlock', ipfs: ['--max-hamt-fanout=32'], wanda: [...V1, '--hamt-threshold=2048', '--hamt-fanout=32'] }
].map((s) => ({ ...s, wanda: s.wanda ?? s.ipfs }))

// n bytes: zeros (every chunk the same block), a repeated pattern, or an
// AES-CTR keystream seeded from r (fast enough for tens of MiB).
function bytes (r, n) {
  const kind = r.next()
  if (kind < 0.1) return Buffer.alloc(n)
  const key = Buffer.alloc(16)
  for (let i = 0; i < 16; i++) key[i] = r.int(0, 255)
  const unit = kind < 0.25 ? Math.min(n, r.pick([512, 4096, 65536, 262144])) : n
  const pat = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(unit))
  if (unit === n) return pat
  const out = Buffer.alloc(n)
  for (let off = 0; off < n; off += unit) pat.copy(out, off, 0, Math.min(unit, n - off))
  return out
}

// Write a random tree at dir, at most budget.left bytes of file data.
function writeTree (r, dir, budget, depth) {
  const used = new Set()
  const fanout = r.pick([0, 1, 3, 8, 20, 60])
  fs.mkdirSync(dir)
  for (let i = r.int(0, fanout); i > 0 && budget.left > 0; i--) {
    const p = path.join(dir, name(r, used))
    if (depth < 3 && r.next() < 0.15) {
      writeTree(r, p, budget, depth + 1)
      continue
    }
    const size = Math.min(fileSize(r, false, SIZES), budget.left)
    budget.left -= Math.max(size, 1)
    fs.writeFileSync(p, bytes(r, size))
  }
}

function run (cmd, args, opts = {}) {
  const p = spawnSync(cmd, args, { maxBuffer: 256 * MiB, ...opts })
  if (p.status !== 0) {
    const err = new Error(`${cmd} ${args.join(' ')}: exit ${p.status}: ${String(p.stderr).trim()}`)
    err.harness = cmd === ipfs
    throw err
  }
  return p.stdout
}

// `ipfs add` of every case of a setting, one process; returns path -> CID
// for every file and directory it printed.
function kuboAdd (s, names, cwd, onlyHash) {
  const env = { ...process.env, IPFS_PATH: s.repoPath }
  const args = ['add', '-r', '--progress=false', ...(onlyHash ? ['--only-hash'] : ['--pin=false']), ...s.ipfs, '--', ...names]
  const roots = new Map()
  for (const line of String(run(ipfs, args, { cwd, env })).split('\n')) {
    // "added HASH NAME"; the cases are the names without a slash
    const m = line.match(/^added (\S+) (.*)$/)
    if (m) roots.set(m[2], m[1])
  }
  return roots
}

// Kubo's known self-disagreement (see the top): a setting with
// --max-hamt-fanout, a directory case, and every path below the top equal.
function onlyHashFanoutQuirk (g, nm, hashed, stored) {
  if (!g.ipfs.some((a) => a.startsWith('--max-hamt-fanout='))) return false
  let below = 0
  for (const [p, cid] of stored) {
    if (!p.startsWith(`${nm}/`)) continue
    if (hashed.get(p) !== cid) return false
    below++
  }
  return below > 0
}

function main () {
  if (!ipfs) { console.error('kubo-xcheck: IPFS_BIN is not set (tests/kubo-build prints it)'); process.exit(2) }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubo-xcheck.'))
  const keep = process.env.WANDA_KUBO_XCHECK_KEEP === '1'
  console.log(`# kubo-xcheck seed ${seed}, ${only != null ? `case ${only}` : `${ncases} cases`}, ${String(run(ipfs, ['version'])).trim()}`)
  let failed = null
  try {
    for (const [k, repo] of Object.entries(repos)) {
      repo.path = path.join(tmp, `repo-${k}`)
      const env = { ...process.env, IPFS_PATH: repo.path }
      run(ipfs, ['init', '--empty-repo', `--profile=${repo.profile}`], { env })
      for (const [key, v] of Object.entries(repo.config)) run(ipfs, ['config', key, v], { env })
    }
    // the cases, grouped by setting
    const groups = settings.map((s, i) => ({ ...s, index: i, repoPath: repos[s.repo].path, dir: path.join(tmp, `s${i}`), cases: [] }))
    const stats = { files: 0, trees: 0, bytes: 0 }
    for (let c = 0; c < ncases; c++) {
      if (only != null && c !== only) continue
      const r = rng(seed * 1000003 + c)
      const g = groups[r.int(0, groups.length - 1)]
      fs.mkdirSync(g.dir, { recursive: true })
      const nm = `c${c}`
      const p = path.join(g.dir, nm)
      if (r.next() < 0.5) {
        const data = bytes(r, fileSize(r, true, SIZES))
        fs.writeFileSync(p, data)
        stats.files++
        stats.bytes += data.length
      } else {
        const budget = { left: r.logInt(1, 12 * MiB) }
        const start = budget.left
        writeTree(r, p, budget, 0)
        stats.trees++
        stats.bytes += start - Math.max(budget.left, 0)
      }
      g.cases.push({ c, nm })
    }
    let n = 0
    let quirks = 0
    for (const g of groups) {
      if (g.cases.length === 0) continue
      const names = g.cases.map((x) => x.nm)
      const hashed = kuboAdd(g, names, g.dir, true)
      const stored = kuboAdd(g, names, g.dir, false)
      for (const { c, nm } of g.cases) {
        const where = `case ${c} (${nm}, setting ${g.index}: repo ${g.repo}, ipfs add ${g.ipfs.join(' ')}; wanda-dag add ${g.wanda.join(' ')})`
        const want = stored.get(nm)
        if (!want) throw Object.assign(new Error(`${where}: ipfs add printed no root`), { harness: true })
        if (hashed.get(nm) !== want) {
          if (!onlyHashFanoutQuirk(g, nm, hashed, stored)) throw Object.assign(new Error(`${where}: ipfs add gave ${want}, --only-hash ${hashed.get(nm)}`), { harness: true })
          console.log(`# kubo: ${where}: --only-hash ignored --max-hamt-fanout on the top directory (${hashed.get(nm)}); checked against the stored DAG ${want}`)
          quirks++
        }
        const car = path.join(tmp, 'wanda.car')
        const got = String(run(wandaDag, ['add', '-r', '-Q', ...g.wanda, '--car', car, nm], { cwd: g.dir })).trim()
        if (got !== want) { failed = `${where}: root CID differs: ipfs ${want}, wanda-dag ${got}`; break }
        const kcar = run(ipfs, ['dag', 'export', '--progress=false', want], { env: { ...process.env, IPFS_PATH: g.repoPath } })
        const wcar = fs.readFileSync(car)
        if (!kcar.equals(wcar)) { failed = `${where}: CAR bytes differ: ipfs dag export ${kcar.length} bytes, wanda-dag --car ${wcar.length} bytes`; break }
        n++
      }
      if (failed) break
    }
    if (failed) {
      console.log(`not ok - ${failed}`)
      console.log(`# replay: WANDA_KUBO_XCHECK_SEED=${seed} WANDA_KUBO_XCHECK_ONLY=${failed.match(/^case (\d+)/)[1]} WANDA_KUBO_XCHECK_KEEP=1`)
      if (keep) console.log(`# kept ${tmp}`)
      return 1
    }
    if (quirks) console.log(`# kubo: ${quirks} case(s) where ipfs add --only-hash disagreed with ipfs add`)
    console.log(`ok - ${n} cases equal (${stats.files} files, ${stats.trees} trees, ${(stats.bytes / MiB).toFixed(1)} MiB; ${groups.filter((g) => g.cases.length).length} settings)`)
    return 0
  } catch (e) {
    console.log(`not ok - seed ${seed}: ${e.message}`)
    return e.harness ? 2 : 1
  } finally {
    if (!keep || !failed) fs.rmSync(tmp, { recursive: true, force: true })
  }
}

process.exit(main())
