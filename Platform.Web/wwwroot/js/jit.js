// The wasm JIT's browser side. Vm.Engine emits WebAssembly modules (bytes) in C#; here each is
// instantiated with the .NET runtime's own memory as its env.memory, so guest RAM, the TLB and
// the state mirror (NativeMemory in C#) are plain addresses to the generated code, and its run
// export is added to the runtime's function table: C# then calls it through a function pointer,
// with no JavaScript on the hot path (Vm.Client/Jit/BrowserWasmHost.cs).

const stats = { available: false, modules: 0, bytes: 0, released: 0, failures: 0 };
// Read by the end-to-end tests and handy in the devtools console.
globalThis.webvmJitStats = stats;

function runtime() {
    // wasmExports is Emscripten's, not in .NET's typed API: check everything before use.
    const rt = typeof globalThis.getDotnetRuntime === "function" ? globalThis.getDotnetRuntime(0) : null;
    const mod = rt && rt.Module;
    const memory = mod && mod.wasmExports && mod.wasmExports.memory;
    if (!(memory instanceof WebAssembly.Memory) || typeof mod.addFunction !== "function") return null;
    return { mod, memory };
}

/**
 * Whether generated code can share the runtime's memory and function table here. Setting
 * localStorage "webvm-jit" to "off" keeps the lab on the interpreter (the benchmark's reference).
 */
export function available() {
    let off = false;
    try { off = globalThis.localStorage?.getItem("webvm-jit") === "off"; } catch { }
    stats.available = !off && runtime() !== null;
    return stats.available;
}

/**
 * Runs of a guest block before it is compiled (the backend's HotThreshold): localStorage
 * "webvm-jit-threshold" when set (the benchmark compares values), else 0 for BrowserWasmHost's default.
 */
export function hotThreshold() {
    let v = null;
    try { v = globalThis.localStorage?.getItem("webvm-jit-threshold"); } catch { }
    const n = parseInt(v ?? "", 10);
    return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Instantiates a module; returns the function-table index of its run(i32) export. */
export function load(bytes) {
    const r = runtime();
    if (!r) throw new Error("The .NET runtime's memory or function table is not reachable: the wasm JIT cannot run here.");
    try {
        const module = new WebAssembly.Module(bytes);
        const instance = new WebAssembly.Instance(module, { env: { memory: r.memory } });
        const index = r.mod.addFunction(instance.exports.run, "vi");
        stats.modules++;
        stats.bytes += bytes.length;
        return index;
    } catch (e) {
        stats.failures++;
        throw e;
    }
}

/**
 * Instantiates the dispatcher module (Vm.Engine/Jit/Wasm/DispatcherModule.cs), which imports the
 * runtime's function table to call page modules by their index; returns its own index, or 0 when
 * the table is not reachable (the backend then chains modules from C#).
 */
export function loadDispatcher(bytes) {
    const r = runtime();
    const table = r && (r.mod.wasmTable ?? r.mod.wasmExports?.__indirect_function_table);
    if (!(table instanceof WebAssembly.Table)) {
        stats.dispatcher = "no function table";
        return 0;
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: r.memory, table } });
    stats.dispatcher = "wasm";
    return r.mod.addFunction(instance.exports.run, "vi");
}

/** The backend's counters (instructions retired in wasm, exits, compile time), reported every so many entries. */
export function counters(c) {
    // How modules chain ("wasm": the dispatcher module; else why not) goes with the figures.
    stats.counters = { ...c, dispatcher: stats.dispatcher ?? "C#" };
}

/** Frees a module's function-table slot (its page was written or evicted). */
export function release(index) {
    const r = runtime();
    if (r && typeof r.mod.removeFunction === "function") r.mod.removeFunction(index);
    stats.released++;
}
