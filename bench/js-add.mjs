#!/usr/bin/env node
// The JS side of bench/dag-add: ipfs-unixfs-importer over a file or a
// directory tree with Kubo's `ipfs add` defaults (or, with --v1, the
// unixfs-v1-2025 profile), blocks thrown away (a blackhole store), root CID
// printed. Usage: node bench/js-add.mjs [--v1] PATH
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const mod = (p) => import(pathToFileURL(path.join(top, 'tests/node_modules', p)).href)
const { importer } = await mod('ipfs-unixfs-importer/dist/src/index.js')

const args = process.argv.slice(2)
const v1 = args[0] === '--v1'
const target = path.resolve(v1 ? args[1] : args[0])
const base = path.basename(target)

function * entries (dir, rel) {
  yield { path: rel }
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name)
    if (d.isDirectory()) yield * entries(p, `${rel}/${d.name}`)
    else yield { path: `${rel}/${d.name}`, content: fs.createReadStream(p, { highWaterMark: 1 << 20 }) }
  }
}

const source = fs.statSync(target).isDirectory()
  ? entries(target, base)
  : [{ content: fs.createReadStream(target, { highWaterMark: 1 << 20 }) }]
const blackhole = { put: async (cid) => cid }
const opts = v1
  ? { profile: 'unixfs-v1-2025' }
  : { profile: 'unixfs-v0-2015', leafType: 'file', reduceSingleLeafToSelf: true }
let last
for await (const e of importer(source, blackhole, opts)) last = e
console.log(last.cid.toString())
