using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Reflection.Emit;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Jit.Frontend;

namespace Vm.Engine.Jit.Il;

/// <summary>
/// The CoreCLR backend: one DynamicMethod per block, owned by X86Cpu so it reaches the guest
/// state and the lazy-flag fields directly. RAM is native and never moves, so its address is
/// a constant in the code (the code belongs to one CPU). DynamicMethods are collected when no
/// block refers to them any more, which is what eviction and invalidation rely on.
/// </summary>
public sealed unsafe class IlBackend : IJitBackend
{
    private readonly byte* _ram;
    private readonly X86Cpu _cpu;

    public IlBackend(X86Cpu cpu)
    {
        _cpu = cpu;
        _ram = (byte*)Pointer.Unbox(GuestStateFields.Ram.GetValue(cpu)!);
    }

    public string Name => "il";

    /// <summary>
    /// A region whose IL is larger than this is built again with half as many blocks. RyuJIT
    /// compiles a method past its size limits (60 000 bytes of IL, 20 000 IL instructions,
    /// 2 000 basic blocks) with MinOpts: no register allocation worth the name, several times
    /// slower code. Before this bound, the hottest regions of the boot and of sha256 were such.
    /// </summary>
    public const int MaxIlBytes = 45_000;

    public CompiledBlock? Compile(JitBlock block)
    {
        int limit = _cpu.JitRegionLimit;
        while (true)
        {
            JitRegion region = JitRegion.Build(block, phys => _cpu.DecodeBlockAt(phys, block.Code32), limit);
            var compiled = Compile(block, region, out int ilBytes);
            if (ilBytes <= MaxIlBytes || region.Blocks.Count == 1) return compiled;
            limit = region.Blocks.Count / 2;
        }
    }

    private CompiledBlock? Compile(JitBlock block, JitRegion region, out int ilBytes)
    {
        // The instructions that stay handler calls are passed by reference: copies in pinned
        // arrays whose addresses are constants in the code, kept alive with it.
        var arrays = new Instr[region.Blocks.Count][];
        for (int b = 0; b < arrays.Length; b++)
        {
            JitBlock jb = region.Blocks[b];
            arrays[b] = GC.AllocateArray<Instr>(jb.Ops.Length, pinned: true);
            for (int k = 0; k < jb.Ops.Length; k++) arrays[b][k] = jb.InstrAt(k);
        }
        // A closed delegate (first argument bound to a RegionEntry: which block to start at,
        // and the instruction arrays to keep alive) calls straight in; an open static one goes
        // through a shuffle thunk on every call. One method serves every block of the region.
        var method = new DynamicMethod($"jit_{block.Phys:x8}", typeof(int), [typeof(RegionEntry), typeof(X86Cpu)], typeof(X86Cpu), skipVisibility: true);
        var pointers = new Instr*[arrays.Length];
        for (int b = 0; b < arrays.Length; b++) pointers[b] = (Instr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(arrays[b]));
        ILGenerator il = method.GetILGenerator();
        var emitter = new IlBlockEmitter(il, region, _ram, pointers, _cpu.JitProfile, _cpu.JitRegisterLocals);
        emitter.Emit();
        ilBytes = il.ILOffset;
        var sites = new ChainSite[emitter.ChainSites];
        CompiledBlock EntryAt(int index) => new((JitEntry)method.CreateDelegate(typeof(JitEntry), new RegionEntry(index, arrays, sites)), arrays);
        var more = new List<KeyValuePair<uint, CompiledBlock>>();
        for (int b = 1; b < region.Blocks.Count; b++) more.Add(new(region.Blocks[b].Phys, EntryAt(b)));
        var head = EntryAt(0);
        return more.Count == 0 ? head : new CompiledBlock(head.Entry, arrays) { MoreEntries = more };
    }
}

/// <summary>What a region's compiled method is bound to: the block it starts at, and the data its code points into.</summary>
public sealed class RegionEntry(int index, object keepAlive, ChainSite[] sites)
{
    /// <summary>The region's exits to code outside it, each with the successor it last chained to (shared by the region's entries).</summary>
    public readonly ChainSite[] Sites = sites;
    /// <summary>The index in the region of the block this entry starts at (0: the head).</summary>
    public readonly int Index = index;
    public readonly object KeepAlive = keepAlive;
}
