// BENCH_PROFILE=1 (bench/client, bench/jit/wasm.sh): V8's sampling CPU profiler (over the DevTools
// protocol) around each of the lab's workloads, summarized as self time per function and per kind
// of code: where the page's time goes (the wasm JIT's modules, the .NET runtime's interpreter, ...).
import fs from "node:fs";

/** Starts the sampling profiler on the page; the returned function stops it and returns the profile. */
export async function startProfile(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  return async () => {
    const { profile } = await cdp.send("Profiler.stop");
    await cdp.detach();
    return profile;
  };
}

// What a function is, from its script: the .NET runtime's own wasm (its names are stripped in a
// Release build; its largest self time is the Mono interpreter's loop), modules made at run time
// (the wasm JIT's page modules and dispatcher, the jiterpreter's traces: anonymous wasm), JavaScript.
function kind(f) {
  const name = f.functionName || "(anonymous)";
  const url = f.url || "";
  if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") return name;
  if (/dotnet\.native\.[^/]*\.wasm$/.test(url) || /dotnet\.native\.wasm$/.test(url)) return ".NET runtime wasm (Mono interpreter, GC, runtime)";
  if (/^wasm-function\[/.test(name) || url.startsWith("wasm://")) return "wasm made at run time (JIT page modules, dispatcher, jiterpreter traces)";
  if (url) return "JavaScript";
  return "other";
}

/** Self time by function and by kind, in seconds, the raw profile written to `out` when given. */
export function summarize(profile, out) {
  if (out) fs.writeFileSync(out, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas || [];
  for (let s = 0; s < profile.samples.length; s++) {
    const dt = (deltas[s + 1] ?? deltas[s] ?? 0) / 1e6;
    self.set(profile.samples[s], (self.get(profile.samples[s]) || 0) + dt);
  }
  const fns = new Map(), kinds = new Map();
  let total = 0;
  for (const [id, t] of self) {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url ? f.url.replace(/^.*\//, "") : ""}`;
    fns.set(key, (fns.get(key) || 0) + t);
    const k = kind(f);
    kinds.set(k, (kinds.get(k) || 0) + t);
    total += t;
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, t]) => `${(100 * t / total).toFixed(1).padStart(5)}% ${t.toFixed(2).padStart(7)} s  ${k}`);
  return ["by kind:", ...top(kinds, 12), "by function (self time):", ...top(fns, 25)].join("\n");
}
