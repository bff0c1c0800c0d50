using System.Reflection;
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

    public IlBackend(X86Cpu cpu)
    {
        _ram = (byte*)Pointer.Unbox(GuestStateFields.Ram.GetValue(cpu)!);
    }

    public string Name => "il";

    public CompiledBlock? Compile(JitBlock block)
    {
        // The instructions that stay handler calls are passed by reference: copies in a pinned
        // array whose address is a constant in the code, kept alive with it.
        var instrs = GC.AllocateArray<Instr>(block.Ops.Length, pinned: true);
        for (int k = 0; k < instrs.Length; k++) instrs[k] = block.InstrAt(k);
        var method = new DynamicMethod($"jit_{block.Phys:x8}", typeof(int), [typeof(X86Cpu)], typeof(X86Cpu), skipVisibility: true);
        fixed (Instr* first = instrs)
        {
            new IlBlockEmitter(method.GetILGenerator(), block, _ram, first).Emit();
        }
        return new CompiledBlock(method.CreateDelegate<JitEntry>(), instrs);
    }
}
