using Vm.Engine.Jit;
using Vm.Engine.Jit.Frontend;

namespace Vm.Engine.Cpu;

/// <summary>Counters of the JIT's work, for profiles and benchmarks.</summary>
public struct JitStats
{
    public long BlocksCompiled, CompileFailures, Evictions, Invalidations;
    /// <summary>Micro-ops compiled natively vs as interpreter handler calls.</summary>
    public long NativeOps, HandlerOps;
    /// <summary>Entries into compiled blocks, and the instructions they retired.</summary>
    public long CompiledRuns;
    public ulong CompiledInstructions;
}

/// <summary>
/// The interpreter's side of the JIT: blocks count their runs, and at the threshold the
/// front end translates them and the backend compiles them; the run loop then calls the
/// compiled code. Compiled code is bounded (oldest compiled first out) and dropped with its
/// block when the block's page is written.
/// </summary>
public sealed partial class X86Cpu
{
    private IJitBackend? _jitBackend;
    private readonly Queue<Block> _compiledOrder = new();
    public JitStats JitCounters;

    /// <summary>Which backend compiles hot blocks (Off: interpreter only).</summary>
    public JitMode JitMode { get; private set; }

    /// <summary>Runs of a block before it is compiled.</summary>
    public int JitThreshold { get; set; } = 50;

    /// <summary>At most this many compiled blocks are kept; the oldest compiled goes first.</summary>
    public int JitCacheLimit { get; set; } = 16384;

    public void SetJitMode(JitMode mode)
    {
        _jitBackend = JitBackends.Create(mode, this);
        JitMode = mode;
        DropAllCompiled();
    }

    /// <summary>Translates and compiles a hot block; null (and never again) when the backend declines or fails.</summary>
    private CompiledBlock? CompileHot(Block b)
    {
        if (!b.Valid) return null;
        CompiledBlock? code = null;
        try
        {
            JitBlock jb = Translator.Translate(b);
            code = _jitBackend!.Compile(jb);
            if (code != null)
            {
                int native = jb.NativeOps;
                JitCounters.NativeOps += native;
                JitCounters.HandlerOps += jb.Ops.Length - native;
            }
        }
        catch (Exception e) when (e is InvalidProgramException or NotSupportedException or InvalidOperationException)
        {
            code = null;
        }
        if (code == null)
        {
            JitCounters.CompileFailures++;
            b.Hits = int.MinValue;
            return null;
        }
        JitCounters.BlocksCompiled++;
        b.Compiled = code;
        _compiledOrder.Enqueue(b);
        while (_compiledOrder.Count > JitCacheLimit)
        {
            Block old = _compiledOrder.Dequeue();
            if (old.Compiled != null)
            {
                old.Compiled = null;
                old.Hits = 0;
                JitCounters.Evictions++;
            }
        }
        return code;
    }

    /// <summary>A block's page was written: its compiled code goes with it.</summary>
    private void DropCompiled(Block b)
    {
        if (b.Compiled == null) return;
        b.Compiled = null;
        JitCounters.Invalidations++;
    }

    private void DropAllCompiled()
    {
        foreach (var b in _compiledOrder) b.Compiled = null;
        _compiledOrder.Clear();
    }
}
