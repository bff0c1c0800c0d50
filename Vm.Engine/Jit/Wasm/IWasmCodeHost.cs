namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// Where generated modules run: the browser (the .NET runtime's own wasm memory, modules added
/// to its function table) or Wasmtime on the server (tests). A module imports the host's memory
/// as env.memory and exports <c>run(i32 state)</c>.
/// </summary>
public unsafe interface IWasmCodeHost
{
    /// <summary>The native address of wasm address 0 (0 in the browser).</summary>
    nint MemoryBase { get; }

    /// <summary>Memory the generated code can address (the state mirror): zeroed, 16-byte aligned.</summary>
    void* AllocateShared(int bytes);

    /// <summary>Compiles and instantiates a module; the result calls its <c>run</c> export.</summary>
    IWasmEntry Load(byte[] module);

    /// <summary>
    /// Instantiates the dispatcher (<see cref="DispatcherModule"/>), which imports the host's
    /// function table as env.table and calls page modules through their <see cref="IWasmEntry.TableIndex"/>;
    /// null where the host has no such table (the backend then chains modules from C#).
    /// </summary>
    IWasmEntry? LoadDispatcher(byte[] module) => null;

    /// <summary>
    /// Runs of a block before it is compiled, where the host wants other than the CPU's default
    /// (measured for the server's IL backend): in the browser interpreted code is far slower, so
    /// code pays for its compile sooner. Null: the CPU's <c>JitThreshold</c>.
    /// </summary>
    int? HotThreshold => null;

    /// <summary>
    /// The backend's counters and the CPU's instruction count, reported now and then (every
    /// <see cref="WasmBackend.ReportEvery"/> entries or <see cref="WasmBackend.ReportInterval"/>) so a host can show where the time goes.
    /// </summary>
    void Report(in WasmStats stats, ulong instructions, IReadOnlyList<(string Cause, long Count)> topExits) { }
}

/// <summary>One instantiated module's <c>run(state)</c>.</summary>
public interface IWasmEntry : IDisposable
{
    void Run(uint stateAddress);

    /// <summary>Where <c>run</c> sits in the host's function table (for the dispatcher); 0 when it is in none.</summary>
    int TableIndex => 0;
}
