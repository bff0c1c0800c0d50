using System.Runtime.InteropServices;
using Vm.Engine.Devices;
using Vm.Engine.Memory;

namespace Vm.Engine.Cpu;

/// <summary>
/// What the WebAssembly JIT backend (Jit/Wasm) needs from the CPU: the TLB tables it probes
/// from generated code, the lazy flag state it carries in and out, and (for its server tests)
/// a TLB placed in memory the wasm runtime can address.
/// </summary>
public sealed unsafe partial class X86Cpu
{
    /// <summary>A CPU whose TLB lives in caller-provided storage of 16 MiB (4 × 2^20 entries), freed by the caller.</summary>
    internal X86Cpu(PhysicalMemory mem, IoBus io, uint* tlbStorage) : this(mem, io)
    {
        NativeMemory.Free(_tlb);
        _tlb = tlbStorage;
        _ownsTlb = false;
        _tlbUsedCount = 0;
        new Span<uint>(_tlb, 4 << 20).Fill(TlbInvalid);
        SetCpl(S.Cpl);
    }

    /// <summary>The read and write TLB tables for the current privilege level.</summary>
    internal uint* TlbReadTable => _tlbRead;
    internal uint* TlbWriteTable => _tlbWrite;

    /// <summary>
    /// The lazy flags as (op, dst, src, res, carried CF) for 32-bit Add/Sub/Logic/Inc/Dec or None;
    /// other states (sub-32-bit sizes, shifts, rotates) are materialized into EFLAGS first.
    /// </summary>
    internal void ExportLazyFlags(out uint op, out uint dst, out uint src, out uint res, out bool cf)
    {
        if (_lazyOp is LazyOp.Shift or LazyOp.Rot || (_lazyOp != LazyOp.None && _lazySz != 2)) MaterializeFlags();
        op = (uint)_lazyOp; dst = _lazyDst; src = _lazySrc; res = _lazyRes; cf = _lazyCf;
    }

    internal void ImportLazyFlags(uint op, uint dst, uint src, uint res, bool cf)
    {
        _lazyOp = (LazyOp)op; _lazySz = 2; _lazyDst = dst; _lazySrc = src; _lazyRes = res; _lazyCf = cf;
    }

    /// <summary>Marks a physical page as holding compiled code: its stores take the slow path and reach OnCodeWritten.</summary>
    internal void MarkCodePage(uint page)
    {
        if (_mem.CodePages[page] == 0)
        {
            _mem.CodePages[page] = 1;
            DropWriteEntries(page);
        }
    }
}

public sealed unsafe partial class X86Cpu
{
    /// <summary>Installs a backend that needs more than a mode to build (the wasm backend needs its host).</summary>
    internal void UseJitBackend(Jit.IJitBackend backend, Jit.JitMode mode)
    {
        _jitBackend = backend;
        JitMode = mode;
        DropAllCompiled();
    }

    /// <summary>
    /// Runs a block's instructions (decoded unfused, with their handlers) from <paramref name="k"/>
    /// (at <paramref name="eip"/>) to its end as the run loop does, for compiled code that stopped
    /// inside the block; returns the instructions retired. Faults propagate with _instrStart set.
    /// </summary>
    internal int RunInstructionsFrom(Decoding.Instr[] instrs, nint[] handlers, int k, uint eip)
    {
        int last = instrs.Length - 1;
        int first = k;
        for (; k <= last; k++)
        {
            ref Decoding.Instr i = ref instrs[k];
            _instrStart = eip;
            eip += i.Len;
            S.Eip = eip;
            ((delegate*<X86Cpu, in Decoding.Instr, void>)handlers[k])(this, in i);
            if (StopBlock) return k - first + 1;
        }
        return last - first + 1;
    }
}
