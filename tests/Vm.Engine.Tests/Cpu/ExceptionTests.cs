using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Devices;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.Cpu;

/// <summary>Exceptions are delivered to the guest through its IDT, never thrown at the host.</summary>
public class ExceptionTests : IDisposable
{
    private const uint Idt = 0x1000, Gdt = 0x2000, Handler = 0x3000, Code = 0x4000, Stack = 0x8000;
    private readonly PhysicalMemory _mem = new(16u << 20);
    private readonly X86Cpu _cpu;

    public ExceptionTests()
    {
        _cpu = new X86Cpu(_mem, new IoBus());
        // GDT: 0x08 code, 0x10 data (flat, ring 0).
        var gdt = _mem.Span(Gdt, 24);
        BitConverter.TryWriteBytes(gdt[8..], 0x00CF9A000000FFFFUL);
        BitConverter.TryWriteBytes(gdt[16..], 0x00CF92000000FFFFUL);
        // IDT: every vector is an interrupt gate to Handler + vector (a HLT there).
        for (uint v = 0; v < 32; v++)
        {
            uint off = Handler + v;
            ulong gate = (off & 0xFFFF) | (0x08UL << 16) | (0x8E00UL << 32) | ((ulong)(off >> 16) << 48);
            BitConverter.TryWriteBytes(_mem.Span(Idt + v * 8, 8), gate);
            _mem.Span(Handler + v, 1)[0] = 0xF4;
        }
        ref var s = ref _cpu.S;
        s.Cr0 = 0x11;
        s.GdtBase = Gdt; s.GdtLimit = 23;
        s.IdtBase = Idt; s.IdtLimit = 32 * 8 - 1;
        _cpu.LoadSegFromDescriptor(Reg.Cs, 0x08, 0x0000FFFF, 0x00CF9A00);
        foreach (int seg in new[] { Reg.Ds, Reg.Es, Reg.Ss, Reg.Fs, Reg.Gs })
            _cpu.LoadSegFromDescriptor(seg, 0x10, 0x0000FFFF, 0x00CF9200);
        s.R[Reg.Esp] = Stack;
        s.Eip = Code;
        s.Eflags = 2;
    }

    private void RunCode(params byte[] code)
    {
        _mem.Load(Code, code);
        _cpu.Step();
    }

    [Theory]
    [InlineData(new byte[] { 0x0F, 0x0B }, "ud2")]
    [InlineData(new byte[] { 0x0F, 0xFF }, "0F FF")]
    [InlineData(new byte[] { 0x0F, 0x38, 0x00, 0xC0 }, "pshufb (SSSE3, not implemented)")]
    [InlineData(new byte[] { 0x0F, 0x05 }, "syscall (not on i686)")]
    [InlineData(new byte[] { 0xFF, 0xFF }, "FF /7")]
    [InlineData(new byte[] { 0x8D, 0xC0 }, "lea eax,eax")]
    [InlineData(new byte[] { 0x0F, 0x34 }, "sysenter (not advertised)")]
    public void UnknownOrInvalidOpcode_RaisesUdInGuest(byte[] code, string text)
    {
        RunCode(code);
        Assert.True(_cpu.S.Eip == Handler + Vec.UD, $"{text}: EIP=0x{_cpu.S.Eip:X}");
        Assert.Equal(Code, _mem.Read32(Stack - 12)); // the fault's saved EIP is the instruction itself
        Assert.Null(_cpu.StopReason);
    }

    [Fact]
    public void DivideByZero_RaisesDeWithFaultingEip()
    {
        _cpu.S.R[Reg.Ebx] = 0;
        RunCode(0xF7, 0xF3); // div ebx
        Assert.Equal(Handler + Vec.DE, _cpu.S.Eip);
        Assert.Equal(Code, _mem.Read32(Stack - 12));
    }

    [Fact]
    public void Int3_IsATrap_SavedEipIsNextInstruction()
    {
        RunCode(0xCC);
        Assert.Equal(Handler + Vec.BP, _cpu.S.Eip);
        Assert.Equal(Code + 1, _mem.Read32(Stack - 12));
    }

    [Fact]
    public void PageFault_SetsCr2AndErrorCode()
    {
        // Page directory at 0x10000 maps 0-4 MiB with one page table at 0x11000; 0x400000 is not present.
        BitConverter.TryWriteBytes(_mem.Span(0x10000, 4), 0x11000u | 3);
        for (uint p = 0; p < 1024; p++) BitConverter.TryWriteBytes(_mem.Span(0x11000 + p * 4, 4), (p << 12) | 3);
        _cpu.S.Cr3 = 0x10000;
        _cpu.S.Cr0 |= 0x80000000;
        _cpu.FlushTlb();
        _cpu.S.R[Reg.Eax] = 0x400123;
        RunCode(0x89, 0x18); // mov [eax], ebx
        Assert.Equal(Handler + Vec.PF, _cpu.S.Eip);
        Assert.Equal(0x400123u, _cpu.S.Cr2);
        Assert.Equal(2u, _mem.Read32(Stack - 16)); // error code: write, not present, supervisor
        Assert.Equal(Code, _mem.Read32(Stack - 12));
    }

    public void Dispose()
    {
        _cpu.Dispose();
        _mem.Dispose();
    }
}
