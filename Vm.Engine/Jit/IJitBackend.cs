using Vm.Engine.Cpu;
using Vm.Engine.Jit.Frontend;

namespace Vm.Engine.Jit;

/// <summary>
/// Compiled code for one block: runs it from the current guest state and returns the
/// instructions retired, counted as the interpreter counts them (all of the block's, or up
/// to and including the one that stopped it). It leaves S.Eip at the next instruction, the
/// flags in the lazy-flag fields, and StopBlock set when an instruction stopped the block.
/// A fault propagates as <see cref="CpuFault"/> with the faulting instruction's EIP in the
/// CPU's instruction-start field and the guest state as of before that instruction.
/// </summary>
public delegate int JitEntry(X86Cpu cpu);

/// <summary>A block's compiled code and whatever must stay alive with it.</summary>
public sealed class CompiledBlock(JitEntry entry, object? keepAlive = null)
{
    public JitEntry Entry { get; } = entry;
    /// <summary>Data the generated code points into (pinned instruction copies), freed with the code.</summary>
    public object? KeepAlive { get; } = keepAlive;
    /// <summary>
    /// Other blocks the same code can be entered at (physical address, entry), for a backend
    /// that compiles several blocks as one unit: each becomes that block's compiled code when
    /// it has none, so a block is not compiled again as the head of its own unit.
    /// </summary>
    public IReadOnlyList<KeyValuePair<uint, CompiledBlock>>? MoreEntries { get; init; }
}

/// <summary>A JIT backend: lowers the front end's micro-ops for one CPU.</summary>
public interface IJitBackend
{
    string Name { get; }

    /// <summary>The compiled block, or null when this backend will not compile it (the interpreter keeps running it).</summary>
    CompiledBlock? Compile(JitBlock block);
}
