#!/usr/bin/env node
// Randomized cross-check of `wanda-dag add` against an independent UnixFS
// implementation, npm's ipfs-unixfs-importer, configured to behave as Kubo's
// `ipfs add` (see docs/unixfs-compat.md for the settings and why).
//
// For a seed (printed; WANDA_XCHECK_SEED=N replays it) it generates
// WANDA_XCHECK_CASES (default 200) random files and directory trees with
// random import settings, imports each both ways and compares the root CID
// and the CAR bytes (the JS side's CAR is written in `ipfs dag export` order:
// depth-first from the root in link order, each block once). It stops at the
// first difference, printing the seed, the case number and its settings;
// WANDA_XCHECK_ONLY=K runs just case K of that seed (WANDA_XCHECK_KEEP=1 keeps
// the failing input). Exit 0 all equal,
// 1 a difference, 2 a harness error.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'
import { CarWriter } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { MiB, fileSize, name, rng, runOptions } from './random.mjs'

// Not in the package's exports map, so by file: DirFlat decides flat or
// sharded (estimateNodeSize) exactly as the importer's tree builder does.
const { DirFlat } = await import(new URL('./dir-flat.js', import.meta.resolve('ipfs-unixfs-importer')).href)
const { default: DirSharded } = await import(new URL('./dir-sharded.js', import.meta.resolve('ipfs-unixfs-importer')).href)

const { wandaDag, seed, ncases, only } = runOptions('WANDA_XCHECK')
// Most files small, some medium, a few of tens of MiB (the run must stay
// within a few minutes on a slow shared machine).
const SIZES = { small: 0.6, medium: 0.96, maxMiB: 32 }
const stats = { files: 0, trees: 0, sharded: 0 }

function bytes (r, n) {
  const out = new Uint8Array(n)
  const kind = r.next()
  if (kind < 0.1) return out // zeros: every chunk the same block
  let unit = n
  if (kind < 0.25) unit = r.pick([512, 4096, 65536, 262144]) // repeated runs
  const w = new Uint32Array(Math.ceil(Math.min(unit, n) / 4))
  for (let i = 0; i < w.length; i++) w[i] = Math.floor(r.next() * 4294967296)
  const pat = new Uint8Array(w.buffer, 0, Math.min(unit, n))
  for (let off = 0; off < n; off += pat.length) out.set(pat.subarray(0, Math.min(pat.length, n - off)), off)
  return out
}

// A tree: { files: [{ rel, data }], dirs: [rel] } under a root directory.
function tree (r, budget) {
  const files = []
  const dirs = []
  const fanout = r.pick([1, 3, 8, 20, 60, 300])
  const walk = (rel, depth) => {
    const used = new Set()
    const n = r.int(0, fanout)
    for (let i = 0; i < n && budget.left > 0; i++) {
      const nm = name(r, used)
      const child = rel === '' ? nm : `${rel}/${nm}`
      if (depth < 4 && r.next() < 0.15) {
        dirs.push(child)
        walk(child, depth + 1)
      } else {
        const size = Math.min(fileSize(r, false, SIZES), budget.left)
        budget.left -= Math.max(size, 1)
        files.push({ rel: child, data: bytes(r, size) })
      }
    }
  }
  walk('', 0)
  return { files, dirs }
}

function settings (r) {
  const s = {}
  s.cidVersion = r.pick([0, 1])
  s.rawLeaves = s.cidVersion === 1 ? r.next() < 0.7 : r.next() < 0.3
  s.trickle = r.next() < 0.3
  s.chunk = r.pick([r.logInt(256, MiB), 262144, 1048576, r.int(1, 4096)])
  s.maxLinks = r.pick([174, 174, 1024, r.int(2, 12)])
  s.hamt = r.next() < 0.5
  s.estimation = r.pick(['links', 'block'])
  s.threshold = s.hamt ? r.logInt(20, 2500) : 1 << 30
  s.fanoutBits = r.pick([8, 8, 3, 4, 5, 10])
  return s
}

// Kubo's `ipfs add` expressed in ipfs-unixfs-importer options.
function jsOptions (s) {
  return {
    cidVersion: s.cidVersion,
    rawLeaves: s.rawLeaves,
    // Kubo's balanced leaves are UnixFS File nodes and a one-chunk file is
    // its own root; its trickle leaves are UnixFS Raw nodes under a root.
    leafType: s.trickle ? 'raw' : 'file',
    reduceSingleLeafToSelf: !s.trickle,
    chunker: fixedSize({ chunkSize: s.chunk }),
    layout: s.trickle
      ? trickle({ maxChildrenPerNode: s.maxLinks, layerRepeat: 4 })
      : balanced({ maxChildrenPerNode: s.maxLinks }),
    shardSplitThresholdBytes: s.threshold,
    shardSplitStrategy: s.estimation === 'block' ? 'block-bytes' : 'links-bytes',
    shardFanoutBits: s.fanoutBits,
    fileImportConcurrency: 1,
    blockWriteConcurrency: 1
  }
}

function wandaArgs (s, target, car) {
  const a = ['add', '-Q', '--car', car, `--cid-version=${s.cidVersion}`,
    `--chunker=size-${s.chunk}`, `--max-file-links=${s.maxLinks}`,
    `--hamt-threshold=${s.threshold}`, `--hamt-estimation=${s.estimation}`,
    `--hamt-fanout=${2 ** s.fanoutBits}`]
  a.push(s.rawLeaves ? '--raw-leaves=true' : '--raw-leaves=false')
  if (s.trickle) a.push('--trickle')
  if (fs.statSync(target).isDirectory()) a.push('-r')
  a.push(target)
  return a
}

function describe (s, c) {
  const what = c.kind === 'file'
    ? `file of ${c.size} bytes`
    : `tree of ${c.nfiles} files, ${c.ndirs} subdirectories, ${c.bytes} bytes`
  return `${what}; cid-version=${s.cidVersion} raw-leaves=${s.rawLeaves} ` +
    `${s.trickle ? 'trickle' : 'balanced'} chunker=size-${s.chunk} max-file-links=${s.maxLinks} ` +
    `hamt-threshold=${s.threshold} hamt-estimation=${s.estimation} hamt-fanout=${2 ** s.fanoutBits}`
}

// A memory block store, and the CAR `ipfs dag export` would write from it.
class Blocks {
  constructor () { this.m = new Map() }
  put (cid, bytes) { this.m.set(cid.toString(), { cid, bytes }); return cid }
  has (cid) { return this.m.has(cid.toString()) }
}

async function carOf (root, blocks) {
  const { writer, out } = CarWriter.create([root])
  const chunks = []
  const collect = (async () => { for await (const c of out) chunks.push(c) })()
  const seen = new Set()
  const visit = async (cid) => {
    const k = cid.toString()
    if (seen.has(k)) return
    seen.add(k)
    const b = blocks.m.get(k)
    if (b == null) throw new Error(`JS block store lacks ${k}`)
    await writer.put({ cid, bytes: b.bytes })
    if (cid.code === dagPb.code) {
      for (const l of dagPb.decode(b.bytes).Links) await visit(l.Hash)
    }
  }
  await visit(root)
  await writer.close()
  await collect
  return Buffer.concat(chunks)
}

// The importer's own tree builder decides flat or sharded as entries arrive,
// before subdirectories have CIDs, so its size estimate leaves them out;
// Kubo's counts every entry (docs/unixfs-compat.md). With HAMT on, trees are
// therefore built bottom-up here from the importer's own pieces: files by
// importer(), each directory by DirFlat/DirSharded once all its children are
// known, sharded when DirFlat.estimateNodeSize() exceeds the threshold.
async function jsDir (node, blocks, s, rel) {
  const opts = { cidVersion: s.cidVersion, shardSplitThresholdBytes: s.threshold,
    shardSplitStrategy: s.estimation === 'block' ? 'block-bytes' : 'links-bytes',
    shardFanoutBits: s.fanoutBits, fieldOrder: 'links-first' }
  const children = []
  for (const [nm, child] of node) {
    if (child instanceof Map) {
      children.push([nm, await jsDir(child, blocks, s, `${rel}/${nm}`)])
    } else {
      let r
      for await (const e of importer([{ content: child }], blocks, jsOptions(s))) r = e
      children.push([nm, { cid: r.cid, size: r.size }])
    }
  }
  const props = { root: rel === 'root', dir: true, path: rel, dirty: true, flat: true }
  let dir = new DirFlat(props, opts)
  for (const [nm, r] of children) await dir.put(nm, r)
  if ((await dir.estimateNodeSize()) > s.threshold) {
    stats.sharded++
    dir = new DirSharded({ ...props, flat: false }, opts)
    for (const [nm, r] of children) await dir.put(nm, r)
  }
  let last
  for await (const e of dir.flush(blocks)) last = e
  return { cid: last.cid, size: last.size }
}

async function jsImport (c, s) {
  const blocks = new Blocks()
  let root
  if (c.kind === 'file') {
    for await (const e of importer([{ content: c.data }], blocks, jsOptions(s))) root = e.cid
  } else if (s.hamt) {
    const top = new Map()
    const at = (rel) => rel.split('/').reduce((m, p) => m.get(p), top)
    for (const d of c.tree.dirs) {
      const i = d.lastIndexOf('/')
      ;(i < 0 ? top : at(d.slice(0, i))).set(d.slice(i + 1), new Map())
    }
    for (const f of c.tree.files) {
      const i = f.rel.lastIndexOf('/')
      ;(i < 0 ? top : at(f.rel.slice(0, i))).set(f.rel.slice(i + 1), f.data)
    }
    root = (await jsDir(top, blocks, s, 'root')).cid
  } else {
    const source = [{ path: 'root' }]
    for (const d of c.tree.dirs) source.push({ path: `root/${d}` })
    for (const f of c.tree.files) source.push({ path: `root/${f.rel}`, content: f.data })
    for await (const e of importer(source, blocks, jsOptions(s))) root = e.cid
  }
  return { root: root.toString(), car: await carOf(root, blocks) }
}

function writeInput (c, dir) {
  if (c.kind === 'file') {
    const p = path.join(dir, 'file')
    fs.writeFileSync(p, c.data)
    return p
  }
  const root = path.join(dir, 'root')
  fs.mkdirSync(root)
  for (const d of c.tree.dirs) fs.mkdirSync(path.join(root, d), { recursive: true })
  for (const f of c.tree.files) fs.writeFileSync(path.join(root, f.rel), f.data)
  return root
}

function makeCase (k) {
  const r = rng(seed ^ Math.imul(k + 1, 0x9E3779B1))
  const s = settings(r)
  let c
  if (r.next() < 0.6) {
    const data = bytes(r, fileSize(r, true, SIZES))
    c = { kind: 'file', data, size: data.length }
  } else {
    const t = tree(r, { left: 2 * MiB })
    c = { kind: 'tree', tree: t, nfiles: t.files.length, ndirs: t.dirs.length,
      bytes: t.files.reduce((n, f) => n + f.data.length, 0) }
  }
  return { s, c }
}

function firstDiff (a, b) {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return n
}

async function main () {
  if (!fs.existsSync(wandaDag)) {
    console.error(`xcheck: ${wandaDag}: not found (build first, or set WANDA_BIN)`)
    process.exit(2)
  }
  console.log(`# xcheck seed ${seed} (replay: WANDA_XCHECK_SEED=${seed}), ${ncases} cases`)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wanda-xcheck-'))
  // The failing case's input stays for a look when WANDA_XCHECK_KEEP is set.
  const bail = (code) => {
    if (process.env.WANDA_XCHECK_KEEP) console.log(`# input kept in ${work}`)
    else fs.rmSync(work, { recursive: true, force: true })
    process.exit(code)
  }
  const t0 = Date.now()
  let done = 0
  let bytesTotal = 0
  try {
    for (let k = 0; k < ncases; k++) {
      if (only != null && k !== only) continue
      const { s, c } = makeCase(k)
      const dir = path.join(work, String(k))
      fs.mkdirSync(dir)
      const target = writeInput(c, dir)
      const car = path.join(dir, 'out.car')
      const w = spawnSync(wandaDag, wandaArgs(s, target, car), { encoding: 'utf8' })
      const where = `case ${k} (seed ${seed}; replay: WANDA_XCHECK_SEED=${seed} WANDA_XCHECK_ONLY=${k})`
      if (w.status !== 0) {
        console.log(`not ok - ${where}: wanda-dag ${wandaArgs(s, target, car).join(' ')} exited ${w.status}: ${w.stderr.trim()}`)
        console.log(`# ${describe(s, c)}`)
        bail(1)
      }
      const js = await jsImport(c, s)
      const wroot = w.stdout.trim()
      const wcar = fs.readFileSync(car)
      if (wroot !== js.root) {
        console.log(`not ok - ${where}: root CID differs: wanda-dag ${wroot}, ipfs-unixfs-importer ${js.root}`)
        console.log(`# ${describe(s, c)}`)
        bail(1)
      }
      if (!wcar.equals(js.car)) {
        const at = firstDiff(wcar, js.car)
        console.log(`not ok - ${where}: CAR bytes differ at offset ${at} (wanda-dag ${wcar.length} bytes, JS ${js.car.length}); roots equal ${wroot}`)
        console.log(`# ${describe(s, c)}`)
        bail(1)
      }
      fs.rmSync(dir, { recursive: true, force: true })
      done++
      stats[c.kind === 'file' ? 'files' : 'trees']++
      bytesTotal += c.kind === 'file' ? c.size : c.bytes
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  console.log(`ok - ${done} cases equal (root CID and CAR bytes): ${stats.files} files, ${stats.trees} trees ` +
    `with ${stats.sharded} HAMT-sharded directories, ${(bytesTotal / MiB).toFixed(1)} MiB, ` +
    `${((Date.now() - t0) / 1000).toFixed(1)} s, seed ${seed}`)
}

main().catch((err) => {
  console.error(`xcheck: seed ${seed}: ${err.stack ?? err}`)
  process.exit(2)
})
