using Vm.Engine.Jit.Wasm;
using Wasmtime;

namespace Vm.Engine.Tests.JitWasm;

/// <summary>
/// Runs the wasm backend's modules under Wasmtime. Wasmtime's linear memory cannot be .NET's
/// native heap, so guest RAM, the TLB and the state mirror are placed inside it (the backend
/// addresses everything relative to <see cref="MemoryBase"/>). Layout: the shared area (the
/// state mirror, the dispatcher's page maps, the pages' 4 KiB block tables) from 64 KiB, RAM at
/// 8 MiB, then the TLB's 16 MiB.
/// </summary>
public sealed unsafe class WasmtimeCodeHost : IWasmCodeHost, IDisposable
{
    public const uint RamOffset = 8u << 20;
    // Compile time dominates in tests (modules are small and many), so no optimizing passes.
    private readonly Wasmtime.Engine _engine = new(new Config().WithOptimizationLevel(OptimizationLevel.None));
    private readonly Store _store;
    private readonly Linker _linker;
    private readonly Wasmtime.Memory _memory;
    /// <summary>The function table page modules are placed in, for the dispatcher's call_indirect (index 0 stays empty).</summary>
    private readonly Table _table;
    private uint _sharedNext = 64 << 10;

    public WasmtimeCodeHost(uint ramSize = 16u << 20)
    {
        RamSize = ramSize;
        TlbOffset = RamOffset + ramSize;
        _store = new Store(_engine);
        // A store never frees its instances; a boot builds thousands of page modules.
        _store.SetLimits(null, null, 10_000_000, 10_000_000, 10_000_000);
        _linker = new Linker(_engine);
        long pages = (TlbOffset + (16u << 20)) / 65536 + 1;
        _memory = new Wasmtime.Memory(_store, pages, pages, false);
        _linker.Define("env", "memory", _memory);
        _table = new Table(_store, TableKind.FuncRef, null, 1, 10_000_000);
        _linker.Define("env", "table", _table);
    }

    /// <summary>Off: the backend chains modules from C# (its fallback where a host has no table).</summary>
    public bool WithDispatcher { get; init; } = true;

    public uint RamSize { get; }

    public uint TlbOffset { get; }

    public nint MemoryBase => _memory.GetPointer();

    public byte* Ram => (byte*)MemoryBase + RamOffset;

    public uint* Tlb => (uint*)((byte*)MemoryBase + TlbOffset);

    public int ModulesLoaded { get; private set; }

    public void* AllocateShared(int bytes)
    {
        uint at = _sharedNext;
        _sharedNext += (uint)((bytes + 15) & ~15);
        if (_sharedNext > RamOffset) throw new InvalidOperationException("The shared area of the test memory is full.");
        return (byte*)MemoryBase + at;
    }

    public IWasmEntry Load(byte[] module)
    {
        using var m = Module.FromBytes(_engine, "page", module);
        var instance = _linker.Instantiate(_store, m);
        var run = instance.GetAction<int>("run") ?? throw new InvalidOperationException("The module exports no run(i32).");
        ModulesLoaded++;
        uint index = (uint)_table.GetSize();
        _table.Grow(1, instance.GetFunction("run"));
        return new Entry(run, (int)index);
    }

    public IWasmEntry? LoadDispatcher(byte[] module) => WithDispatcher ? Load(module) : null;

    /// <summary>Instantiates any module against the shared memory (for encoder tests).</summary>
    public Instance Instantiate(byte[] module)
    {
        using var m = Module.FromBytes(_engine, "test", module);
        return _linker.Instantiate(_store, m);
    }

    public Wasmtime.Memory Memory => _memory;

    private sealed class Entry(Action<int> run, int index) : IWasmEntry
    {
        public int TableIndex => index;

        public void Run(uint stateAddress) => run((int)stateAddress);

        public void Dispose() { }
    }

    public void Dispose()
    {
        _linker.Dispose();
        _store.Dispose();
        _engine.Dispose();
    }
}
