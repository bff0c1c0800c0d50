using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Devices;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.Cpu;

/// <summary>
/// Segment limits with hand-built GDT entries: accesses past an expand-up limit, at or below an
/// expand-down limit, or through a null selector fault with #GP(0) (#SS(0) through SS), delivered
/// through the IDT with the faulting instruction's EIP; accesses inside the limit and flat
/// segments with a base (TLS-style FS) go through.
/// </summary>
public class SegmentLimitTests : IDisposable
{
    private const uint Idt = 0x1000, Gdt = 0x2000, Handler = 0x3000, Code = 0x4000, Stack = 0x9000;
    private const ushort SmallData = 0x18, ExpandDownStack = 0x20, TlsData = 0x28;
    private readonly PhysicalMemory _mem = new(16u << 20);
    private readonly X86Cpu _cpu;

    /// <summary>An 8-byte descriptor: flags are G (8) and D/B (4).</summary>
    private static ulong Descriptor(uint @base, uint limit, byte access, byte flags) =>
        (limit & 0xFFFF) | ((ulong)(@base & 0xFFFFFF) << 16) | ((ulong)access << 40) |
        ((ulong)((limit >> 16) & 0xF) << 48) | ((ulong)flags << 52) | ((ulong)(@base >> 24) << 56);

    public SegmentLimitTests()
    {
        _cpu = new X86Cpu(_mem, new IoBus());
        ulong[] gdt =
        [
            0,
            Descriptor(0, 0xFFFFF, 0x9A, 0xC),     // 0x08 code, flat
            Descriptor(0, 0xFFFFF, 0x92, 0xC),     // 0x10 data, flat
            Descriptor(0, 0xFFF, 0x92, 0x4),       // 0x18 data, limit 0xFFF (byte granular)
            Descriptor(0, 0x7FFF, 0x96, 0x4),      // 0x20 data, expand-down above 0x7FFF, B=1
            Descriptor(0x5000, 0xFFFFF, 0x92, 0xC), // 0x28 data, base 0x5000, 4 GiB limit
        ];
        for (int k = 0; k < gdt.Length; k++) BitConverter.TryWriteBytes(_mem.Span(Gdt + (uint)k * 8, 8), gdt[k]);
        for (uint v = 0; v < 32; v++)
        {
            uint off = Handler + v;
            ulong gate = (off & 0xFFFF) | (0x08UL << 16) | (0x8E00UL << 32) | ((ulong)(off >> 16) << 48);
            BitConverter.TryWriteBytes(_mem.Span(Idt + v * 8, 8), gate);
            _mem.Span(Handler + v, 1)[0] = 0xF4;
        }
        ref var s = ref _cpu.S;
        s.Cr0 = 0x11;
        s.GdtBase = Gdt; s.GdtLimit = (uint)gdt.Length * 8 - 1;
        s.IdtBase = Idt; s.IdtLimit = 32 * 8 - 1;
        _cpu.LoadSegFromDescriptor(Reg.Cs, 0x08, 0x0000FFFF, 0x00CF9A00);
        foreach (int seg in new[] { Reg.Ds, Reg.Es, Reg.Ss, Reg.Fs, Reg.Gs })
            _cpu.LoadSegFromDescriptor(seg, 0x10, 0x0000FFFF, 0x00CF9200);
        s.R[Reg.Esp] = Stack;
        s.Eip = Code;
        s.Eflags = 2;
    }

    /// <summary>Loads the selector into a segment register with MOV (so the CPU's own load path classifies it), then steps the code.</summary>
    private void Run(int segReg, ushort selector, byte[] code, int steps)
    {
        byte[] load = [0x66, 0xB8, (byte)selector, (byte)(selector >> 8), 0x8E, (byte)(0xC0 | (segReg << 3))]; // mov ax,sel; mov sreg,ax
        _mem.Load(Code, [.. load, .. code]);
        for (int k = 0; k < 2 + steps; k++) _cpu.Step();
    }

    private void AssertFault(int vector, uint faultingEip)
    {
        Assert.Equal(Handler + (uint)vector, _cpu.S.Eip);
        Assert.Equal(0u, _mem.Read32(Stack - 16)); // error code 0
        Assert.Equal(faultingEip, _mem.Read32(Stack - 12));
    }

    [Fact]
    public void ReadCrossingExpandUpLimit_RaisesGp0()
    {
        Run(Reg.Ds, SmallData, [0x8B, 0x05, 0xFE, 0x0F, 0x00, 0x00], 1); // mov eax,[0xFFE]: bytes 0xFFE..0x1001
        AssertFault(Vec.GP, Code + 6);
    }

    [Fact]
    public void AccessesInsideExpandUpLimit_Succeed()
    {
        _mem.Span(0xFFC, 4).Fill(0xAB);
        Run(Reg.Ds, SmallData, [0x8B, 0x05, 0xFC, 0x0F, 0x00, 0x00, 0x8A, 0x1D, 0xFF, 0x0F, 0x00, 0x00], 2); // mov eax,[0xFFC]; mov bl,[0xFFF]
        Assert.Equal(0xABABABABu, _cpu.S.R[Reg.Eax]);
        Assert.Equal(0xABu, _cpu.S.R[Reg.Ebx] & 0xFF);
        Assert.Equal(Code + 18, _cpu.S.Eip);
    }

    [Fact]
    public void WriteThroughSpecializedBaseDisplacementForm_PastLimit_RaisesGp0()
    {
        _cpu.S.R[Reg.Ebx] = 0xFFC;
        _cpu.S.R[Reg.Eax] = 0xDEADBEEF;
        uint before = _mem.Read32(0x1000);
        Run(Reg.Es, SmallData, [0x26, 0x89, 0x43, 0x04], 1); // mov es:[ebx+4],eax
        AssertFault(Vec.GP, Code + 6);
        Assert.Equal(before, _mem.Read32(0x1000)); // nothing written
    }

    [Fact]
    public void BlockLoop_FaultsLikeSingleSteps()
    {
        _cpu.S.R[Reg.Ebx] = 0xFF0;
        byte[] load = [0x66, 0xB8, (byte)SmallData, 0x00, 0x8E, 0xD8];
        // mov eax,[ebx+8] (inside); add ebx,0x10; mov ecx,[ebx] (0x1000: past the limit)
        _mem.Load(Code, [.. load, 0x8B, 0x43, 0x08, 0x83, 0xC3, 0x10, 0x8B, 0x0B]);
        _cpu.Run(1000);
        Assert.True(_cpu.S.Eip is Handler + Vec.GP or Handler + Vec.GP + 1, $"EIP=0x{_cpu.S.Eip:X}");
        Assert.Equal(0u, _mem.Read32(Stack - 16));
        Assert.Equal(Code + 12, _mem.Read32(Stack - 12));
    }

    [Fact]
    public void StackAccessAtOrBelowExpandDownLimit_RaisesSs0()
    {
        _cpu.S.R[Reg.Ebp] = 0x7FFF;
        Run(Reg.Ss, ExpandDownStack, [0x8B, 0x45, 0x00], 1); // mov eax,[ebp]: SS-relative
        AssertFault(Vec.SS, Code + 6);
    }

    [Fact]
    public void StackAccessAboveExpandDownLimit_Succeeds()
    {
        _cpu.S.R[Reg.Ebp] = 0x8000;
        _mem.Span(0x8000, 4).Fill(0x5A);
        Run(Reg.Ss, ExpandDownStack, [0x8B, 0x45, 0x00, 0x50], 2); // mov eax,[ebp]; push eax
        Assert.Equal(0x5A5A5A5Au, _cpu.S.R[Reg.Eax]);
        Assert.Equal(0x5A5A5A5Au, _mem.Read32(Stack - 4));
    }

    [Fact]
    public void NullSelectorInDs_RaisesGp0OnAccess()
    {
        Run(Reg.Ds, 0, [0xA1, 0x00, 0x01, 0x00, 0x00], 1); // mov eax,[0x100] (moffs form)
        AssertFault(Vec.GP, Code + 6);
    }

    [Fact]
    public void FlatSegmentWithBase_AddsTheBaseAndNeverFaults()
    {
        BitConverter.TryWriteBytes(_mem.Span(0x5010, 4), 0x12345678u);
        Run(Reg.Fs, TlsData, [0x64, 0xA1, 0x10, 0x00, 0x00, 0x00, 0x64, 0x8B, 0x0D, 0xFF, 0xFF, 0xFF, 0xFF], 2); // mov eax,fs:[0x10]; mov ecx,fs:[0xFFFFFFFF]
        Assert.Equal(0x12345678u, _cpu.S.R[Reg.Eax]);
        Assert.Equal(Code + 19, _cpu.S.Eip);
    }

    public void Dispose()
    {
        _cpu.Dispose();
        _mem.Dispose();
    }
}
