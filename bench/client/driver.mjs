// bench/run.sh client: in one headless Chromium, times (1) the portal's lab from opening the page to
// the guest's prompt, and the engine benchmark's guest workloads typed into its terminal, and (2) the
// v86 emulator booting the same kernel and initramfs (through SeaBIOS) and running the same workloads.
// Prints "name seconds" lines per machine on stdout as JSON; run.sh turns them into BENCH lines.
import { chromium } from "playwright-core";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { startProfile, summarize } from "./profile.mjs";

const [portalUrl, guestDir, password] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const TIMEOUT = parseInt(process.env.BENCH_TIMEOUT || "1800") * 1000;
const CMDLINE = process.env.BENCH_CMDLINE || "console=ttyS0 quiet cryptomgr.notests noisapnp";
const MARKER = "WEBVM-SHELL-READY";
// The engine benchmark's loop200k and gzip5x at a tenth and a fifth of their size: the page's
// interpreter runs a few M guest instructions/s, and the full sizes (~4 G instructions for loop200k)
// did not finish in half an hour. Named for what they run, so they are never mistaken for the originals.
const WORKLOADS = [
  ["loop20k", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"],
  ["gzip1x", "gzip -c /bin/busybox > /dev/null"],
  ["sha256", "sha256sum /tmp/r4m > /dev/null"],
].filter(([n]) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(",").includes(n));
const SETUP = "head -c 4194304 /dev/urandom > /tmp/r4m";
const log = m => process.stderr.write(`[bench] ${m}\n`);
// CPU seconds (user + system) of this driver's child processes (Chromium's browser, renderer and
// helper processes): on a shared machine a workload's CPU time moves far less with the load than its
// wall-clock time, so each workload is also reported as NAME-cpu (both machines run in this browser).
function chromiumCpuSeconds() {
  const stats = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const text = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.push({ pid: +d, ppid: +f[1], ticks: +f[11] + +f[12] });
    } catch { }
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of stats) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  return stats.filter(p => p.pid !== process.pid && mine.has(p.pid)).reduce((t, p) => t + p.ticks, 0) / 100;
}
// The wasm JIT's counters as the page last published them (js/jit.js).
const jitCounters = page => page.evaluate(() => globalThis.webvmJitStats?.counters ?? null).catch(() => null);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const results = { ours: {}, ref: {} };

// Polls `read()` (the machine's console text so far) until `token` appears after `from`; returns its end.
async function waitFor(page, read, token, from = 0) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const text = await read();
    const at = text.indexOf(token, from);
    if (at >= 0) return at + token.length;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${token}; tail: ${text.slice(-300)}`);
    await page.waitForTimeout(50);
  }
}

async function workloads(page, read, send, into) {
  await send(`${SETUP}; echo SETUP''DONE`);
  let at = await waitFor(page, read, "SETUPDONE");
  for (const [name, work] of WORKLOADS) {
    await send(`echo WS''${name}; ${work}; echo WE''${name}`);
    at = await waitFor(page, read, `WS${name}`, at);
    const t0 = Date.now(), cpu0 = chromiumCpuSeconds();
    at = await waitFor(page, read, `WE${name}`, at);
    into[name] = (Date.now() - t0) / 1000;
    into[`${name}-cpu`] = chromiumCpuSeconds() - cpu0;
    log(`v86 ${name} ${into[name]} s (CPU ${into[`${name}-cpu`].toFixed(2)} s)`);
  }
}

// --- ours: the portal's lab page -------------------------------------------------------------------
{
  const page = await browser.newPage({ baseURL: portalUrl });
  // BENCH_LAB_JIT=off: the lab on the interpreter alone (bench/jit/wasm.sh's reference).
  if (process.env.BENCH_LAB_JIT === "off") await page.addInitScript(() => localStorage.setItem("webvm-jit", "off"));
  // BENCH_LAB_JIT_THRESHOLD=N: runs of a guest block before the wasm JIT compiles it (js/jit.js).
  if (process.env.BENCH_LAB_JIT_THRESHOLD)
    await page.addInitScript(n => localStorage.setItem("webvm-jit-threshold", n), process.env.BENCH_LAB_JIT_THRESHOLD);
  await page.goto("t/demo/account/login");
  await page.getByLabel("Email").fill("student@demo.test");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in as").waitFor();
  await page.getByRole("link", { name: "Files and folders" }).first().click();
  await page.getByRole("link", { name: "Open lab" }).waitFor();
  // By default the lab resumes from the lab image's snapshot (docs/client.md, "Resume"): the teacher asks
  // for it as on the checks page and the portal's job makes it; BENCH_RESUME=off measures the boot.
  if (process.env.BENCH_RESUME !== "off") {
    const assignment = new URL(page.url()).pathname.replace(/^\//, "");
    const teacher = await browser.newPage({ baseURL: portalUrl });
    await teacher.goto("t/demo/account/login");
    await teacher.getByLabel("Email").fill("teacher@demo.test");
    await teacher.getByLabel("Password").fill(password);
    await teacher.getByRole("button", { name: "Sign in" }).click();
    await teacher.getByText("Signed in as").waitFor();
    await teacher.goto(`${assignment}/checks`);
    const asked = Date.now();
    await teacher.getByRole("button", { name: "Take it now" }).click();
    await teacher.close();
    for (;;) {
      const r = await page.request.get(`${assignment}/lab/machine.json`);
      if (r.ok() && (await r.json()).resume) break;
      if (Date.now() - asked > TIMEOUT) throw new Error("the lab image's resume snapshot was not made in time");
      await new Promise(res => setTimeout(res, 2000));
    }
    log(`ours: resume snapshot made by the portal in ${(Date.now() - asked) / 1000} s`);
  }
  const t0 = Date.now();
  await page.getByRole("link", { name: "Open lab" }).click();
  let shown = "";
  const timer = setInterval(async () => {
    try { const s = await page.locator(".lab-status-text").textContent(); if (s !== shown) { shown = s; log(`ours: ${s}`); } } catch { }
  }, 15000);
  await page.locator(".lab-machine[data-stage=ready]").waitFor({ timeout: TIMEOUT });
  clearInterval(timer);
  results.ours["open-to-prompt"] = (Date.now() - t0) / 1000;
  const note = await page.locator(".lab-resume-note").textContent().catch(() => null);
  log(`ours open-to-prompt ${results.ours["open-to-prompt"]} s (${note ?? "booted: no resume snapshot"})`);
  // The terminal's rows as text (what the student sees); markers are printed last, so they are on screen.
  // The JIT's counters at the prompt, so the workloads' share can be told from the boot's (or the snapshot's).
  const atPrompt = await page.evaluate(() => JSON.stringify(globalThis.webvmJitStats?.counters ?? null)).catch(() => "null");
  if (atPrompt !== "null") log(`ours wasm counters at the prompt ${atPrompt}`);
  const read = () => page.locator(".lab-terminal .xterm-rows").innerText().then(t => t.replace(/\u00a0/g, " "));
  const send = async line => { await page.locator(".lab-terminal").click(); await page.keyboard.type(line); await page.keyboard.press("Enter"); };
  if (!process.env.BENCH_BOOT_ONLY) {
    // Rows scroll away in a terminal: each workload clears the screen and its markers are looked for there.
    try { await workloadsOnScreen(page, read, send, results.ours); }
    catch (e) { log(`ours: workloads stopped: ${e.message}`); }
  }
  // The wasm backend's counters (js/jit.js): the share of instructions retired in wasm is the figure that matters.
  const jit = await page.evaluate(() => JSON.stringify(globalThis.webvmJitStats?.counters ?? null)).catch(() => "null");
  if (jit !== "null") log(`ours wasm counters ${jit}`);
  await page.close();
}

async function workloadsOnScreen(page, read, send, into) {
  const waitScreen = async token => {
    const deadline = Date.now() + TIMEOUT;
    while (!(await read()).includes(token)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${token}`);
      await page.waitForTimeout(50);
    }
  };
  await send("clear; " + SETUP + "; echo SETUP''DONE");
  await waitScreen("SETUPDONE");
  for (const [name, work] of WORKLOADS) {
    await send(`clear; echo WS''${name}; ${work}; echo WE''${name}`);
    await waitScreen(`WS${name}`);
    const stop = process.env.BENCH_PROFILE ? await startProfile(page) : null;
    const before = await jitCounters(page);
    const t0 = Date.now(), cpu0 = chromiumCpuSeconds();
    await waitScreen(`WE${name}`);
    into[name] = (Date.now() - t0) / 1000;
    into[`${name}-cpu`] = chromiumCpuSeconds() - cpu0;
    log(`ours ${name} ${into[name]} s (CPU ${into[`${name}-cpu`].toFixed(2)} s)`);
    // The wasm JIT's counters over this workload (they are published at most half a second apart).
    await page.waitForTimeout(600);
    const after = await jitCounters(page);
    if (before && after) {
      const delta = Object.fromEntries(Object.entries(after).filter(([k, v]) => typeof v === "number")
        .map(([k, v]) => [k, +(v - (before[k] ?? 0)).toFixed(3)]).filter(([, v]) => v !== 0));
      log(`ours ${name} wasm counters over the workload ${JSON.stringify(delta)}`);
    }
    if (stop) {
      const out = process.env.BENCH_PROFILE_DIR ? path.join(process.env.BENCH_PROFILE_DIR, `ours-${name}.cpuprofile`) : null;
      log(`ours ${name} profile${out ? " (" + out + ")" : ""}:\n${summarize(await stop(), out)}`);
    }
  }
}

// --- reference: v86 in the same browser ----------------------------------------------------------------
{
  const files = {
    "/v86.html": path.join(here, "v86.html"),
    "/libv86.js": path.join(here, "node_modules/v86/build/libv86.js"),
    "/v86.wasm": path.join(here, "node_modules/v86/build/v86.wasm"),
    "/bios.bin": "/usr/share/seabios/bios.bin",
    "/vgabios-stdvga.bin": "/usr/share/seabios/vgabios-stdvga.bin",
    "/bzImage": path.join(guestDir, "bzImage"),
    "/initrd.gz": path.join(guestDir, "initrd.gz"),
  };
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url, "http://x").pathname];
    if (!file) { res.writeHead(404); res.end(); return; }
    const type = file.endsWith(".html") ? "text/html" : file.endsWith(".js") ? "text/javascript" : file.endsWith(".wasm") ? "application/wasm" : "application/octet-stream";
    res.writeHead(200, { "Content-Type": type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise(r => server.listen(0, "127.0.0.1", r));
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${server.address().port}/v86.html?mib=128&cmdline=${encodeURIComponent(CMDLINE)}`);
  const read = () => page.evaluate(() => window.serialText);
  await waitFor(page, read, MARKER);
  results.ref["open-to-prompt"] = (Date.now() - t0) / 1000;
  log(`v86 open-to-prompt ${results.ref["open-to-prompt"]} s`);
  if (!process.env.BENCH_BOOT_ONLY) {
    try { await workloads(page, read, line => page.evaluate(l => window.serialSend(l + "\n"), line), results.ref); }
    catch (e) { log(`v86: workloads stopped: ${e.message}`); }
  }
  await page.close();
  server.close();
}

await browser.close();
console.log(JSON.stringify(results));
