using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Differential;

/// <summary>
/// Pairs the block decoder fuses into one slot around a load from memory: load-then-operate
/// (mov r,[mem]; op r2,r / op r,imm) and load-then-move (mov r,[b+d]; mov r2,[b2+d2] or
/// mov [b2+d2],r2). Run through the block loop against the host processor (registers, flags,
/// memory), and, where one half faults, against single steps: the same vector, the faulting
/// instruction's EIP, and the first half retired when only the second one faults.
/// </summary>
public class FusedLoadDifferentialTests
{
    private const int Cases = 200;
    private const uint Defined = 0x1 | 0x4 | 0x40 | 0x80 | 0x800; // CF PF ZF SF OF
    private const uint Ebp = EngineRunner.DataAddr + 0x80, Esi = EngineRunner.DataAddr + 0x100;

    public static TheoryData<string, string> Forms() => new()
    {
        { "mov edi,[esi+12]; and esi,edi", "8B7E0C 21FE" },
        { "mov eax,[ebp+4]; add ecx,eax; mov edx,[esi+ecx*4+8]; xor edx,ebx", "8B4504 01C1 8B548E08 31DA" },
        { "mov ecx,[esi+0x20]; sub ecx,0x12345; mov ebx,[ebp-8]; cmp ebx,7; mov edi,[ebp+ecx*2+0x10]; test edi,edx", "8B4E20 81E945230100 8B5DF8 83FB07 8B7C4D10 85D7" },
        { "mov edx,[esi]; or edx,[esi]; mov eax,[esi+0x50]; add eax,eax; mov ebx,[esi+0x60]; and ebx,0xff; mov ecx,[esi+0x64]; xor ecx,-2", "8B16 0B16 8B4650 01C0 8B5E60 81E3FF000000 8B4E64 83F1FE" },
        { "mov eax,[ebp+0x10]; mov ecx,[esi+0x24]; mov edx,[ebp+0x14]; mov [esi+0x30],ecx; mov ebx,[esi+0x40]; mov [esi+0x44],ebx", "8B4510 8B4E24 8B5514 894E30 8B5E40 895E44" },
        { "mov ebp,[ebp+8]; mov eax,[ebp+4]; mov esi,[esi+8]; mov [esi+0xc],esi", "8B6D08 8B4504 8B7608 89760C" },
        { "mov eax,[esi+8]; mov [esp+4],eax; mov ecx,[esp+4]; mov [esi+0x70],ecx", "8B4608 89442404 8B4C2404 894E70" },
        { "mov edi,[ebp+0x20]; add edi,[esi+4]; mov eax,[esi+0x28]; mov eax,[esi+0x2c]", "8B7D20 037E04 8B4628 8B462C" },
        // load, then operate with a memory source
        { "mov esi,[ebp+8]; add eax,[esi+ecx*8+4]", "8B7508 0344CE04" },
        { "mov ebx,[esi+0x20]; sub ebx,[esi+0x24]", "8B5E20 2B5E24" },
        { "mov eax,[ebp+8]; xor ecx,[eax+4] (the loaded register is the base)", "8B4508 334804" },
        { "mov edx,[esi+4]; cmp edx,[ebp+0x10]", "8B5604 3B5510" },
        { "mov eax,[esi+0x30]; or edx,[esi+ecx*4]", "8B4630 0B148E" },
        // copy, then load-then-operate
        { "mov edx,ebx; mov ebx,[ebp+0x3c]; xor ebx,edx", "89DA 8B5D3C 31D3" },
        { "mov eax,ecx (8B); mov edx,[ebp+ecx*4+8]; add edx,eax", "8BC1 8B548D08 01C2" },
        { "mov ebp,esi (the copy makes the load's base); mov eax,[ebp+8]; sub eax,ebx", "89F5 8B4508 29D8" },
        { "mov edx,ebx; mov ebx,[ebp+0x3c]; cmp ebx,edx; mov ecx,edi; mov edi,[ebp+4]; and edi,ecx", "89DA 8B5D3C 39D3 89F9 8B7D04 21CF" },
        { "mov edx,ebx; mov ebx,[ebp+0x3c]; xor ebx,edx (flags dead); add ebx,eax", "89DA 8B5D3C 31D3 01C3" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void FusedLoads_MatchHostProcessor(string text, string hex) =>
        MemorySequenceCheck.MatchesHost(text, hex, 37, Inputs, Defined, Cases);

    public static TheoryData<string, string, int, bool> FaultingForms() => new()
    {
        // text, bytes, offset of the faulting instruction, whether the first half (eax) retired
        { "mov eax,[esi+8]; mov ecx,[gs:esi+4]", "8B4608 658B4E04", 3, true },
        { "mov eax,[esi+8]; mov [gs:esi+4],ecx", "8B4608 65894E04", 3, true },
        { "mov eax,[esi+8]; mov ecx,[gs:eax+4]", "8B4608 658B4804", 3, true },
        { "mov eax,[gs:esi+8]; mov ecx,[esi+4]", "658B4608 8B4E04", 0, false },
        { "mov eax,[gs:esi+8]; and ecx,eax", "658B4608 21C1", 0, false },
        { "nop; mov eax,[esi+8]; mov ecx,[gs:esi+4]", "90 8B4608 658B4E04", 4, true },
        // load, then operate with a memory source: either half faults
        { "mov eax,[esi+8]; add ecx,[gs:esi+4]", "8B4608 65034E04", 3, true },
        { "mov eax,[gs:esi+8]; add ecx,[esi+4]", "658B4608 034E04", 0, false },
        // copy, then load-then-operate: the copy (edx) retires, the load faults
        { "mov edx,ebx; mov eax,[gs:esi+8]; and ecx,eax", "89DA 658B4608 21C1", 2, false },
        { "nop; mov edx,ebx; mov eax,[gs:esi+8]; and ecx,eax", "90 89DA 658B4608 21C1", 3, false },
    };

    [Theory]
    [MemberData(nameof(FaultingForms))]
    public void FusedLoads_FaultAtTheFaultingHalf(string text, string hex, int faultAt, bool firstRetired) =>
        MemorySequenceCheck.FaultsLikeSingleSteps(text, hex, 41, Inputs, faultAt, (regs, mem, got) =>
            Assert.Equal(firstRetired ? BitConverter.ToUInt32(mem, (int)(Esi + 8 - EngineRunner.DataAddr)) : regs[0], got[0]));

    private static (uint[] Regs, uint Flags, byte[] Mem) Inputs(Random rng)
    {
        var regs = new uint[8];
        for (int r = 0; r < 8; r++) regs[r] = (uint)rng.NextInt64(0, 1L << 32);
        regs[4] = 0x00A00800;
        regs[5] = Ebp;
        regs[6] = Esi;
        regs[1] = (uint)rng.Next(0, 16); // a small index
        uint flags = 0x202 | ((uint)rng.Next(0, 1 << 12) & 0x8D5);
        var mem = new byte[EngineRunner.MemSize];
        rng.NextBytes(mem);
        if (rng.Next(8) == 0) Array.Clear(mem, 0x150, 0x20); // zero results now and then
        // Words some forms use as an index or a pointer, kept inside the data buffer.
        BitConverter.TryWriteBytes(mem.AsSpan(0x84), (uint)rng.Next(0, 16));
        BitConverter.TryWriteBytes(mem.AsSpan(0x88), EngineRunner.DataAddr + 0x40);
        BitConverter.TryWriteBytes(mem.AsSpan(0x108), EngineRunner.DataAddr + 0x180);
        BitConverter.TryWriteBytes(mem.AsSpan(0x120), 0x12345u + (uint)rng.Next(0, 32));
        if (rng.Next(4) == 0) BitConverter.TryWriteBytes(mem.AsSpan(0x64), 0xFFFFFFFEu);
        return (regs, flags, mem);
    }
}
