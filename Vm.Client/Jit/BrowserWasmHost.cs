using System.Runtime.InteropServices;
using Microsoft.JSInterop;
using Vm.Engine.Jit.Wasm;

namespace Vm.Client.Jit;

/// <summary>
/// Runs the wasm JIT's modules in the browser (Platform.Web/wwwroot/js/jit.js): instantiated with
/// the .NET runtime's own memory, so wasm address = native address (<see cref="MemoryBase"/> 0),
/// and called from C# through the runtime's function table (~40 M calls/s, no JS in between;
/// JS interop is only for loading and releasing a module).
/// </summary>
public sealed class BrowserWasmHost : IWasmCodeHost
{
    private readonly IJSInProcessObjectReference _js;

    /// <summary>
    /// Runs of a block before it is compiled in the browser. 200 since modules became 2.2x smaller
    /// (one exit sequence per module) and cheaper to build: bench/run.sh client at 55c9dc4 gave, in
    /// CPU seconds, loop20k 3.74 against 5.02 with the CPU's 1000, sha256 0.74 against 1.07, gzip1x
    /// 4.19 against 4.02 (docs/jit.md). Before that change 200 made gzip1x and sha256 slower (11-18 s
    /// of compile per run). localStorage "webvm-jit-threshold" overrides it.
    /// </summary>
    public const int DefaultHotThreshold = 200;

    private BrowserWasmHost(IJSInProcessObjectReference js)
    {
        _js = js;
        int chosen = js.Invoke<int>("hotThreshold");
        HotThreshold = chosen > 0 ? chosen : DefaultHotThreshold;
    }

    public int? HotThreshold { get; }

    /// <summary>The host, or null where generated code cannot share the runtime's memory (the lab then interprets).</summary>
    public static async Task<BrowserWasmHost?> CreateAsync(IJSRuntime js)
    {
        var module = (IJSInProcessObjectReference)await js.InvokeAsync<IJSObjectReference>("import", "./js/jit.js");
        return module.Invoke<bool>("available") ? new BrowserWasmHost(module) : null;
    }

    public nint MemoryBase => 0;

    public unsafe void* AllocateShared(int bytes)
    {
        void* p = NativeMemory.AlignedAlloc((nuint)bytes, 16);
        NativeMemory.Clear(p, (nuint)bytes);
        return p;
    }

    public IWasmEntry Load(byte[] module) => new Entry(_js, _js.Invoke<int>("load", module));

    /// <summary>The dispatcher, instantiated with the runtime's function table (null when jit.js finds none).</summary>
    public IWasmEntry? LoadDispatcher(byte[] module)
    {
        int index = _js.Invoke<int>("loadDispatcher", module);
        return index > 0 ? new Entry(_js, index) : null;
    }

    /// <summary>Publishes the counters on the page (globalThis.webvmJitStats) for the benchmark and the devtools.</summary>
    public void Report(in WasmStats s, ulong instructions, IReadOnlyList<(string Cause, long Count)> topExits)
    {
        var counters = new Dictionary<string, double>
        {
            ["instructions"] = instructions, ["wasmInstructions"] = s.WasmInstructions, ["entries"] = s.Entries,
            ["interpretExits"] = s.InterpretExits, ["interpretedEntries"] = s.InterpretedEntries,
            ["modulesBuilt"] = s.ModulesBuilt, ["modulesDiscarded"] = s.ModulesDiscarded, ["modulesEvicted"] = s.ModulesEvicted,
            ["shortBlocks"] = s.ShortBlocks, ["chainedEntries"] = s.ChainedEntries, ["compileSeconds"] = s.CompileTicks / (double)System.Diagnostics.Stopwatch.Frequency,
            ["loadSeconds"] = s.LoadTicks / (double)System.Diagnostics.Stopwatch.Frequency, ["moduleBytes"] = s.ModuleBytes,
        };
        // What stops the code most (instructions not lowered, TLB misses): "exit:op-C1" etc.
        foreach (var (cause, count) in topExits) counters["exit:" + cause] = count;
        _js.InvokeVoid("counters", counters);
    }

    private sealed class Entry(IJSInProcessObjectReference js, int index) : IWasmEntry
    {
        private bool _released;

        public int TableIndex => index;

        public unsafe void Run(uint stateAddress) => ((delegate* unmanaged<int, void>)(nint)index)((int)stateAddress);

        public void Dispose()
        {
            if (_released) return;
            _released = true;
            js.InvokeVoid("release", index);
        }
    }
}
