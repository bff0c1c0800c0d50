using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Differential;

/// <summary>
/// Runs of 32-bit moves (register copies, [base+disp] loads and stores) the block decoder fuses
/// into one slot (Cpu/Instructions/FusedMoveRun.cs): through the block loop against the host
/// processor (registers, memory); with one move faulting, against single steps (the vector, the
/// faulting move's EIP, the moves before it retired and none after); and with a store that
/// rewrites the code after it, against single steps (the rewritten instruction runs).
/// </summary>
public class FusedMoveRunDifferentialTests
{
    private const int Cases = 200;
    private const uint Ebp = EngineRunner.DataAddr + 0x80, Esi = EngineRunner.DataAddr + 0x100;

    public static TheoryData<string, string> Forms() => new()
    {
        { "sha256's round end: mov eax,[esi+8]; mov [esi+0xc],eax; mov [esi+8],ecx; mov ecx,edi; mov edi,[esi]; mov [esi+4],edi; mov [esi],ebx; mov ebx,edx", "8B4608 89460C 894E08 89F9 8B3E 897E04 891E 89D3" },
        { "store first, the last load left to load-then-operate: mov [esi+0x30],eax; mov edi,[esi]; mov edx,[esi+4]; xor edi,edx", "894630 8B3E 8B5604 31D7" },
        { "stores and copies: mov [ebp+4],ecx; mov ecx,edi; mov [ebp+8],ebx; mov ebx,edx", "894D04 89F9 895D08 89D3" },
        { "a load sees the store before it, overlapping: mov [esi+0x10],eax; mov ecx,[esi+0x10]; mov [esi+0x14],ecx; mov edx,[esi+0x12]", "894610 8B4E10 894E14 8B5612" },
        { "the run changes a later move's base: mov esi,[esi+8]; mov eax,[esi+4]; mov [esi+0xc],eax", "8B7608 8B4604 89460C" },
        { "copies in the 8B form: mov eax,ebx; mov ebx,ecx; mov ecx,eax", "8BC3 8BD9 8BC8" },
        { "through the stack frame: mov esi,[esp+4]; mov [esp+0x34],esi; mov esi,[esp+0xc]; mov [esp+0x30],esi; mov eax,[esp+0x30]", "8B742404 89742434 8B74240C 89742430 8B442430" },
        { "longer than one run (18 moves)", string.Concat(Enumerable.Repeat("8B4604 894608 ", 9)) },
        { "a copy then load-then-operate after the run: mov [esi+4],eax; mov ecx,[esi+8]; mov edx,ebx; mov ebx,[esi+0xc]; xor ebx,edx", "894604 8B4E08 89DA 8B5E0C 31D3" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void MoveRuns_MatchHostProcessor(string text, string hex) =>
        MemorySequenceCheck.MatchesHost(text, hex, 43, Inputs, definedFlags: 0, Cases);

    public static TheoryData<string, string, int, bool> FaultingForms() => new()
    {
        // text, bytes, offset of the faulting move, whether eax was loaded from [esi+8] before it
        { "the last move faults: mov eax,[esi+8]; mov [esi+0xc],eax; mov ecx,[gs:esi+4]", "8B4608 89460C 658B4E04", 6, true },
        { "a store faults last: mov [esi+0xc],ecx; mov eax,[esi+8]; mov [gs:esi+4],eax", "894E0C 8B4608 65894604", 6, true },
        { "the first move faults: mov eax,[gs:esi+8]; mov [esi+0xc],eax; mov ecx,edi", "658B4608 89460C 89F9", 0, false },
        { "a store faults in the middle: mov ecx,edi; mov [gs:esi],ebx; mov eax,[esi+8]", "89F9 65891E 8B4608", 2, false },
        { "after a nop: nop; mov [esi+0x10],edx; mov eax,[esi+8]; mov ecx,[gs:esi+4]; mov [esi+0x14],ecx", "90 895610 8B4608 658B4E04 894E14", 7, true },
    };

    [Theory]
    [MemberData(nameof(FaultingForms))]
    public void MoveRuns_FaultAtTheFaultingMove(string text, string hex, int faultAt, bool eaxLoaded) =>
        MemorySequenceCheck.FaultsLikeSingleSteps(text, hex, 47, Inputs, faultAt, (regs, mem, got) =>
            Assert.Equal(eaxLoaded ? BitConverter.ToUInt32(mem, (int)(Esi + 8 - EngineRunner.DataAddr)) : regs[0], got[0]));

    public static TheoryData<string, string, int> SelfModifyingForms() => new()
    {
        // text, bytes, offset the store through edi writes eax (8B 5E 04 xx: mov ebx,[esi+4]) to
        { "the store rewrites the next move of its run: mov [edi],eax; mov ecx,[esi+4]; mov edx,[esi+8]", "8907 8B4E04 8B5608", 2 },
        { "the store ends its run and rewrites what follows: mov ecx,[esi+8]; mov [edi],eax; nop; nop; nop; nop", "8B4E08 8907 90909090", 5 },
        { "the store rewrites a move two ahead: mov [edi],eax; mov edx,[esi+8]; mov ecx,[esi+4]; mov [esi+0x20],ecx", "8907 8B5608 8B4E04 894E20", 5 },
    };

    [Theory]
    [MemberData(nameof(SelfModifyingForms))]
    public void MoveRuns_StopWhenAStoreRewritesCode(string text, string hex, int target)
    {
        var rng = new Random(text.Aggregate(53, (h, c) => h * 31 + c));
        byte[] code = MemorySequenceCheck.Code(hex);
        using var stepped = new EngineRunner();
        using var blocks = new EngineRunner();
        for (int n = 0; n < 20; n++)
        {
            var (regs, flags, mem) = Inputs(rng);
            regs[7] = EngineRunner.CodeAddr + (uint)target;
            regs[0] = 0x00045E8Bu | ((uint)code[target + 3] << 24); // keeps the byte after the new instruction
            var want = stepped.Run(code, regs, flags, mem);
            var got = blocks.Run(code, regs, flags, mem, viaBlocks: true);
            Assert.Equal(-1, want.Vector);
            Assert.Equal(-1, got.Vector);
            uint rewritten = BitConverter.ToUInt32(mem, (int)(Esi + 4 - EngineRunner.DataAddr));
            Assert.Equal(rewritten, want.Regs[3]); // the rewritten instruction ran when stepping
            Assert.Equal(want.Regs, got.Regs);
            Assert.Equal(want.Mem, got.Mem);
        }
    }

    private static (uint[] Regs, uint Flags, byte[] Mem) Inputs(Random rng)
    {
        var regs = new uint[8];
        for (int r = 0; r < 8; r++) regs[r] = (uint)rng.NextInt64(0, 1L << 32);
        regs[4] = 0x00A00800;
        regs[5] = Ebp;
        regs[6] = Esi;
        uint flags = 0x202 | ((uint)rng.Next(0, 1 << 12) & 0x8D5);
        var mem = new byte[EngineRunner.MemSize];
        rng.NextBytes(mem);
        // [esi+8] as a pointer inside the data buffer (the run that changes its base).
        BitConverter.TryWriteBytes(mem.AsSpan(0x108), EngineRunner.DataAddr + 0x180);
        return (regs, flags, mem);
    }
}
