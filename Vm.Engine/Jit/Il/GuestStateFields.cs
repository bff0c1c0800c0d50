using System.Reflection;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Jit;

namespace Vm.Engine.Jit.Il;

/// <summary>
/// The CPU fields generated code reads and writes directly (DynamicMethods owned by X86Cpu
/// with skipVisibility may touch private members), found once by name.
/// </summary>
internal static class GuestStateFields
{
    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;

    public static readonly FieldInfo S = Field(typeof(X86Cpu), nameof(X86Cpu.S));
    public static readonly FieldInfo R = Field(typeof(CpuState), nameof(CpuState.R));
    public static readonly FieldInfo RegsFirst = Field(typeof(Regs8), "_e");
    public static readonly FieldInfo Seg = Field(typeof(CpuState), nameof(CpuState.Seg));
    public static readonly FieldInfo SegsFirst = Field(typeof(Segments6), "_s");
    public static readonly FieldInfo SegBase = Field(typeof(Segment), nameof(Segment.Base));
    public static readonly FieldInfo SegBig = Field(typeof(Segment), nameof(Segment.Big));
    public static readonly FieldInfo Eip = Field(typeof(CpuState), nameof(CpuState.Eip));

    public static readonly FieldInfo InstrStart = Field(typeof(X86Cpu), "_instrStart");
    public static readonly FieldInfo StopBlock = Field(typeof(X86Cpu), "StopBlock");
    public static readonly FieldInfo TlbRead = Field(typeof(X86Cpu), "_tlbRead");
    public static readonly FieldInfo TlbWrite = Field(typeof(X86Cpu), "_tlbWrite");
    public static readonly FieldInfo Ram = Field(typeof(X86Cpu), "_ram");
    public static readonly FieldInfo InstructionCount = Field(typeof(X86Cpu), nameof(X86Cpu.InstructionCount));
    public static readonly FieldInfo RunEnd = Field(typeof(X86Cpu), "_jitRunEnd");
    public static readonly FieldInfo CheckIrq = Field(typeof(X86Cpu), "CheckIrq");
    public static readonly FieldInfo InterruptShadow = Field(typeof(X86Cpu), "_interruptShadow");
    public static readonly FieldInfo Halted = Field(typeof(X86Cpu), nameof(X86Cpu.Halted));
    public static readonly FieldInfo StopReason = Field(typeof(X86Cpu), nameof(X86Cpu.StopReason));
    public static readonly FieldInfo TlbGeneration = Field(typeof(X86Cpu), "TlbGeneration");
    public static readonly FieldInfo JitCounters = Field(typeof(X86Cpu), nameof(X86Cpu.JitCounters));
    public static readonly FieldInfo CompiledInstructions = Field(typeof(JitStats), nameof(JitStats.CompiledInstructions));
    public static readonly FieldInfo LazyOp = Field(typeof(X86Cpu), "_lazyOp");
    public static readonly FieldInfo LazySz = Field(typeof(X86Cpu), "_lazySz");
    public static readonly FieldInfo LazyDst = Field(typeof(X86Cpu), "_lazyDst");
    public static readonly FieldInfo LazySrc = Field(typeof(X86Cpu), "_lazySrc");
    public static readonly FieldInfo LazyRes = Field(typeof(X86Cpu), "_lazyRes");
    public static readonly FieldInfo LazyCf = Field(typeof(X86Cpu), "_lazyCf");
    public static readonly FieldInfo LazyOf = Field(typeof(X86Cpu), "_lazyOf");
    /// <summary>byte Read8(uint lin), ushort Read16(uint lin): the interpreter's accessors (TLB fast path inside).</summary>
    public static readonly MethodInfo Read8 = Method(typeof(X86Cpu), "Read8");
    public static readonly MethodInfo Read16 = Method(typeof(X86Cpu), "Read16");
    /// <summary>void Write8(uint lin, byte v): the interpreter's byte store (a code page stops the block).</summary>
    public static readonly MethodInfo Write8 = Method(typeof(X86Cpu), "Write8");
    /// <summary>void Write16(uint lin, ushort v): the interpreter's 16-bit store (a code page stops the block).</summary>
    public static readonly MethodInfo Write16 = Method(typeof(X86Cpu), "Write16");

    /// <summary>uint Read32Slow(uint lin): a TLB miss or a page-crossing read.</summary>
    public static readonly MethodInfo Read32Slow = Method(typeof(X86Cpu), "Read32Slow");
    /// <summary>void WriteSplit(uint lin, uint v, int n): a TLB miss, a code page, or a page-crossing write.</summary>
    public static readonly MethodInfo WriteSplit = Method(typeof(X86Cpu), "WriteSplit");
    /// <summary>uint JitReadSlow(uint lin, int size), void JitWriteSlow(uint lin, uint v, int size): the slow paths, not inlined.</summary>
    public static readonly MethodInfo ReadSlow = Method(typeof(X86Cpu), "JitReadSlow");
    public static readonly MethodInfo WriteSlow = Method(typeof(X86Cpu), "JitWriteSlow");
    public static readonly MethodInfo GetCF = Method(typeof(X86Cpu), "GetCF");
    /// <summary>JitEntry? JitChain(int retired, ref ChainSite site): the next block's compiled code, when compiled code may go on to it.</summary>
    public static readonly MethodInfo JitChain = Method(typeof(X86Cpu), "JitChain");
    /// <summary>ChainSite[] RegionEntry.Sites: the region's exits to other code, by site number.</summary>
    public static readonly FieldInfo RegionSites = Field(typeof(RegionEntry), nameof(RegionEntry.Sites));
    public static readonly MethodInfo JitEntryInvoke = typeof(JitEntry).GetMethod("Invoke")!;
    public static readonly MethodInfo Cond = Method(typeof(X86Cpu), "Cond");

    private static FieldInfo Field(Type t, string name) =>
        t.GetField(name, Any) ?? throw new MissingFieldException(t.Name, name);

    private static MethodInfo Method(Type t, string name) =>
        t.GetMethod(name, Any) ?? throw new MissingMethodException(t.Name, name);
}
