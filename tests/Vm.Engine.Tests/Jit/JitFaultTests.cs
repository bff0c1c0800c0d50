using Vm.Engine.Cpu;
using Vm.Engine.Jit;
using Vm.Engine.Memory;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Jit;

/// <summary>
/// A page fault in compiled code, after instructions that changed registers: the guest must see
/// the registers as of the faulting instruction (with registers in IL locals, they are written
/// back on the slow memory path, the only place a fault comes from). The random programs run
/// without paging and cannot fault there.
/// </summary>
public class JitFaultTests
{
    // Paging maps 0-12 MiB one to one for user code, but the page 4 KiB above the data.
    private const uint Dir = 0x100000, Tables = 0x101000, Missing = EngineRunner.DataAddr + 0x1000;

    private static void MapAllButMissing(X86Cpu cpu, PhysicalMemory mem)
    {
        for (uint t = 0; t < 3; t++)
        {
            mem.Write32(Dir + t * 4, (Tables + t * 0x1000) | 7);
            for (uint p = 0; p < 1024; p++)
            {
                uint page = (t << 22) | (p << 12);
                mem.Write32(Tables + t * 0x1000 + p * 4, page == Missing ? 0 : page | 7);
            }
        }
        cpu.S.Cr3 = Dir;
        cpu.S.Cr0 |= 0x80000000;
        cpu.FlushTlb();
    }

    // Each: registers change, then an access to the missing page (32-bit load, store, byte load, byte store, 16-bit load, ALU with memory).
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (string c in new[] { "load32", "store32", "load8", "store8", "load16", "alumem", "push" })
        {
            data.Add(c, false);
            data.Add(c, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PageFault_InCompiledCode_LeavesTheRegistersOfTheFaultingInstruction(string access, bool registerLocals)
    {
        byte[] missing = BitConverter.GetBytes(Missing);
        byte[] prefix =
        [
            0xB8, 0x11, 0x11, 0x11, 0x11, // mov eax, 0x11111111
            0x01, 0xC3,                   // add ebx, eax
            0x41,                         // inc ecx
            0x8D, 0x76, 0x10,             // lea esi, [esi+16]
        ];
        byte[] faulting = access switch
        {
            "load32" => [0x8B, 0x15, .. missing],        // mov edx, [missing]
            "store32" => [0x89, 0x15, .. missing],       // mov [missing], edx
            "load8" => [0x0F, 0xB6, 0x15, .. missing],   // movzx edx, byte [missing]
            "store8" => [0x88, 0x15, .. missing],        // mov [missing], dl
            "load16" => [0x0F, 0xB7, 0x15, .. missing],  // movzx edx, word [missing]
            "alumem" => [0x01, 0x15, .. missing],        // add [missing], edx
            _ => [0x89, 0xEC, 0x52],                     // mov esp, ebp; push edx
        };
        byte[] code = [.. prefix, .. faulting];
        var regs = new uint[] { 1, 2, 3, 4, EngineRunner.DataAddr + 0x100, Missing + 0x10, 7, 8 };
        var mem = new byte[EngineRunner.MemSize];

        using var interp = new EngineRunner();
        using var jit = new EngineRunner();
        jit.Cpu.SetJitMode(JitMode.Il);
        jit.Cpu.JitThreshold = 1;
        jit.Cpu.JitRegisterLocals = registerLocals;
        var want = interp.Run(code, regs, 0, mem, viaBlocks: true, setup: cpu => MapAllButMissing(cpu, interp.Memory));
        var got = jit.Run(code, regs, 0, mem, viaBlocks: true, setup: cpu => MapAllButMissing(cpu, jit.Memory));

        Assert.Equal(14, want.Vector);
        Assert.Equal(want.Vector, got.Vector);
        Assert.Equal(want.Regs, got.Regs);
        Assert.Equal(0x11111111u, got.Regs[0]);
        Assert.Equal(interp.Cpu.S.Cr2, jit.Cpu.S.Cr2);
        Assert.True(jit.Cpu.JitCounters.NativeOps > 0, "the IL backend ran no native code");
    }
}
