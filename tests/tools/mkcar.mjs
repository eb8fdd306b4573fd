// mkcar.mjs: write a CAR with the JS reference stack (an independent
// implementation for WANDA's tests): ipfs-unixfs-importer builds the DAG,
// @ipld/car's CarWriter writes it, blocks depth-first pre-order from the
// root in link order, each block once (what `ipfs dag export` writes).
//   node tests/tools/mkcar.mjs [--v1] [--raw-leaves] [--chunk N] OUT.car PATH...
// Several PATHs are wrapped in a directory. Prints the root CID.
import fs from 'node:fs'
import path from 'node:path'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { CarWriter } from '@ipld/car'
import * as dagPB from '@ipld/dag-pb'

const args = process.argv.slice(2)
const opts = { cidVersion: 0, rawLeaves: false, chunk: 262144 }
while (args.length && args[0].startsWith('--')) {
  const a = args.shift()
  if (a === '--v1') opts.cidVersion = 1
  else if (a === '--raw-leaves') opts.rawLeaves = true
  else if (a === '--chunk') opts.chunk = Number(args.shift())
  else { console.error(`mkcar: unknown flag ${a}`); process.exit(64) }
}
const [out, ...paths] = args
if (!out || paths.length === 0) { console.error('usage: mkcar.mjs [--v1] [--raw-leaves] [--chunk N] OUT.car PATH...'); process.exit(64) }

// the importer only needs put(); keep the blocks in a Map
const blocks = new Map()
const bs = { put: async (cid, bytes) => { blocks.set(cid.toString(), bytes); return cid } }
const src = paths.map(p => ({ path: path.basename(p), content: fs.readFileSync(p) }))
let root
for await (const entry of importer(src, bs, {
  cidVersion: opts.cidVersion, rawLeaves: opts.rawLeaves, chunker: fixedSize({ chunkSize: opts.chunk }),
  wrapWithDirectory: paths.length > 1, reduceSingleLeafToSelf: true
})) root = entry.cid

const { writer, out: carOut } = CarWriter.create([root])
const file = fs.createWriteStream(out)
const done = (async () => { for await (const chunk of carOut) file.write(chunk) ; file.end() })()
const seen = new Set()
async function walk (cid) {
  if (seen.has(cid.toString())) return
  seen.add(cid.toString())
  const bytes = blocks.get(cid.toString())
  await writer.put({ cid, bytes })
  if (cid.code === dagPB.code) for (const l of dagPB.decode(bytes).Links) await walk(l.Hash)
}
await walk(root)
await writer.close()
await done
await new Promise(resolve => file.on('close', resolve))
console.log(root.toString())
