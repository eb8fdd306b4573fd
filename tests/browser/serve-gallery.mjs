// The wanda-serve gallery in Debian's Chromium, driven by playwright-core.
//   node tests/browser/serve-gallery.mjs URL TOKEN KUBO_API OUTDIR
// Env CAPTURE: shell command that takes one capture and prints its JSON
// line; PIPELINE: shell command that pushes the queue (watch | push | ack).
// Prints one "ok NAME ..." line per check; exits 1 at the first failure.
import { chromium } from "playwright-core";
import { execSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [url, token, api, outdir] = process.argv.slice(2);
fs.mkdirSync(outdir, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(outdir, `serve-${name}.png`), fullPage: false });
const ok = (name, detail = "") => console.log(`ok ${name} ${detail}`);
function check(cond, name, detail) { if (!cond) throw new Error(`${name}: ${detail}`); ok(name, ""); }
async function pinned(cid) {
	const r = await fetch(`${api}/api/v0/pin/ls?arg=${cid}&type=recursive`, { method: "POST" });
	return r.ok && JSON.stringify(await r.json()).includes(cid);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "wanda-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
	executablePath: "/usr/bin/chromium",
	headless: true,
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync"],
	viewport: { width: 390, height: 700 },          // a phone
});
let page;
try {
	await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: url });
	page = ctx.pages()[0] || await ctx.newPage();
	const thumbs = new Set();
	page.on("request", (r) => { if (/\/thumb$/.test(r.url())) thumbs.add(r.url()); });
	page.on("dialog", (d) => d.accept(token));      // the token prompt, once
	await page.goto(url);
	await page.waitForSelector(".tile img[src]", { timeout: 10000 });
	await page.waitForTimeout(800);
	const tiles = await page.locator(".tile").count();
	check(tiles >= 20, "gallery_loads", `${tiles} tiles`);
	const first = thumbs.size;
	check(first > 0 && first < tiles, "only_visible_thumbs_fetched", `${first} of ${tiles}`);
	console.log(`# thumbnails fetched before scrolling: ${first} of ${tiles}`);
	await shot(page, "phone");
	// status bar: daemon, peers, storage, queue, sync state per peer; the IPNS name's link
	await page.waitForFunction(() => document.getElementById("s-daemon").textContent === "up" &&
		!document.getElementById("s-storage").textContent.includes("…") &&
		document.getElementById("s-sync").textContent.includes("pinned"), null, { timeout: 10000 });
	const bar = await page.evaluate(() => ["s-peers", "s-queue", "s-sync"].map((i) => document.getElementById(i).textContent));
	check(/^\d+$/.test(bar[0]) && /^\d+$/.test(bar[1]) && bar[2].includes("…oWPeer 1/2 pinned"), "status_bar", bar.join(" | "));
	const ipns = await (await fetch(`${url}/api/ipns`)).json();
	await page.waitForSelector("#ipns-name a", { timeout: 5000 });
	const ilink = await page.locator("#ipns-name a").getAttribute("href");
	check(ipns.name && ilink === `https://gw.example/ipns/${ipns.name}`, "ipns_gateway_link", ilink);
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	check(width <= 390, "fits_phone_width", `scrollWidth ${width}`);
	await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
	await page.waitForTimeout(800);
	check(thumbs.size > first, "scrolling_fetches_more", `${thumbs.size}`);
	await page.evaluate(() => window.scrollTo(0, 0));

	// view modes
	await page.selectOption("#view", "ipfs");
	await page.waitForSelector(".tile img[data-src^='/api/ipfs/']", { timeout: 5000 });
	check(await page.locator(".tile img[data-src$='/thumb']").count() === 0, "view_ipfs", "images through the daemon");
	await page.waitForSelector(".tile img[src^='/api/ipfs/']", { timeout: 5000 });
	await shot(page, "view-ipfs");
	await page.selectOption("#view", "local");
	await page.waitForSelector(".tile img[data-src$='/thumb']", { timeout: 5000 });
	check(await page.locator(".tile img[data-src^='/api/ipfs/']").count() === 0, "view_local", "");
	await page.selectOption("#view", "all");
	await page.waitForSelector(".tile img[data-src$='/thumb']", { timeout: 5000 });

	// detail: CID, copy, QR, pin/unpin
	await page.locator(".tile").first().click();
	await page.waitForSelector("#detail[open]");
	const id = await page.locator(".tile").first().getAttribute("data-id");
	const cap = await (await fetch(`${url}/api/captures/${id}`)).json();
	await page.waitForFunction((c) => document.getElementById("d-cid").textContent === c, cap.cid);
	await page.click("#d-copy");
	const clip = await page.evaluate(() => navigator.clipboard.readText());
	check(clip === cap.cid, "copy_button_copies_cid", clip);
	await page.waitForFunction(() => document.getElementById("d-qr").complete && document.getElementById("d-qr").naturalWidth > 0);
	const qrpng = path.join(outdir, "serve-qr.png");
	await page.locator("#d-qr").screenshot({ path: qrpng });
	const z = spawnSync("zbarimg", ["-q", "--raw", qrpng], { encoding: "utf8" });
	check(z.stdout.trim() === cap.links.public, "qr_decodes_to_public_link", z.stdout.trim());
	await page.waitForFunction(() => document.getElementById("d-pin").textContent === "pinned", null, { timeout: 10000 });
	check(await pinned(cap.cid), "pinned_before", "");
	await page.click("#d-unpinb");
	await page.waitForFunction(() => document.getElementById("d-pin").textContent === "not pinned", null, { timeout: 10000 });
	check(!(await pinned(cap.cid)), "unpin_changes_kubo_pin_ls", cap.cid);
	await page.click("#d-pinb");
	await page.waitForFunction(() => document.getElementById("d-pin").textContent === "pinned", null, { timeout: 20000 });
	check(await pinned(cap.cid), "pin_changes_kubo_pin_ls", cap.cid);
	const dl = await page.evaluate(() => ({ href: document.getElementById("d-dl").href, name: document.getElementById("d-dl").download }));
	const got = await fetch(dl.href);
	check(dl.href.endsWith(cap.image_url) && dl.name === cap.file && got.ok &&
		got.headers.get("content-type") === "image/jpeg", "download_link", dl.href);
	await shot(page, "detail");
	await page.click("#d-close");

	// live: a capture through the real pipeline shows up without reload
	const line = execSync(process.env.CAPTURE, { encoding: "utf8" });
	const t0 = Date.now();
	const newId = JSON.parse(line.trim().split("\n").pop()).id;
	await page.waitForSelector(`.tile[data-id="${newId}"]`, { timeout: 2000 });
	const appeared = Date.now() - t0;
	check(appeared <= 2000, "live_capture_within_2s", `${appeared} ms`);
	console.log(`# new capture on the page after ${appeared} ms`);
	execSync(process.env.PIPELINE, { stdio: "ignore" });
	await page.waitForFunction((i) => document.querySelector(`.tile[data-id="${i}"] .st`)?.textContent === "pushed",
		newId, { timeout: 5000 });
	ok("live_upload_complete_marks_tile");
	await shot(page, "live");
	// live byte-level progress: what wanda-push logs while a big file uploads
	const log = path.join(process.env.WANDA_HOME, "events.jsonl"), big = "/data/big.dng";
	fs.appendFileSync(log, JSON.stringify({ event: "ipfs_upload_start", file: big }) + "\n");
	fs.appendFileSync(log, JSON.stringify({ event: "ipfs_upload_progress", file: big, bytes: 25165824, total: 50331648 }) + "\n");
	await page.waitForFunction(() => !document.getElementById("s-prog").hidden, null, { timeout: 2000 });
	const prog = await page.locator("#s-prog-t").textContent();
	check(prog === "big.dng 50% (24.0 MiB of 48.0 MiB)", "live_upload_progress", prog);
	await shot(page, "progress");
	fs.appendFileSync(log, JSON.stringify({ event: "ipfs_upload_complete", file: big, cid: "bafkqaaa" }) + "\n");
	await page.waitForFunction(() => document.getElementById("s-prog").hidden, null, { timeout: 2000 });
	ok("live_upload_progress_ends");
} catch (e) {
	console.log(`not ok ${e.message}`);
	if (page) await shot(page, "failure").catch(() => {});
	await ctx.close();
	fs.rmSync(profile, { recursive: true, force: true });
	process.exit(1);
}
await ctx.close();
fs.rmSync(profile, { recursive: true, force: true });
