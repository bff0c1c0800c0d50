namespace Vm.Engine.Tests.Differential;

/// <summary>
/// ALU chains the block decoder fuses into one slot (copy, shift, ALU; shift, ALU; ALU, ALU: see
/// Cpu/Instructions/FusedAluChain.cs), run through the block loop and against the host processor
/// over random registers and flags: the registers, and the flags of the chain's last operation
/// (read back with PUSHFD, or overwritten by a later operation so the chain runs without them).
/// </summary>
public class FusedAluChainDifferentialTests
{
    private const int Cases = 200;
    private const uint Defined = 0x1 | 0x4 | 0x40 | 0x80 | 0x800; // CF PF ZF SF OF (AF is undefined after the logic operations)

    public static TheoryData<string, string> Forms() => new()
    {
        // copy, shift, ALU
        { "mov edx,ecx; ror edx,11; xor edx,esi; pushfd; pop edi", "89CA C1CA0B 31F2 9C 5F" },
        { "mov esi,ecx; rol esi,7; xor edx,esi (the rotated register is the source); pushfd; pop edi", "89CE C1C607 31F2 9C 5F" },
        { "mov ebx,eax (8B); shr ebx,3; add ebx,ecx (03); pushfd; pop edi", "8BD8 C1EB03 03D9 9C 5F" },
        { "mov eax,ebx; shl eax,4; sub eax,edx; pushfd; pop edi", "89D8 C1E004 29D0 9C 5F" },
        { "mov ecx,edx; sar ecx,31; cmp ecx,esi; pushfd; pop edi", "89D1 C1F91F 39F1 9C 5F" },
        { "mov eax,ecx; rol eax,5; test eax,ebx; pushfd; pop edi", "89C8 C1C005 85D8 9C 5F" },
        { "mov eax,ecx; ror eax,3; or eax,edx (flags dead); and eax,esi; pushfd; pop edi", "89C8 C1C803 09D0 21F0 9C 5F" },
        { "mov eax,eax; ror eax,8; xor eax,eax; pushfd; pop edi", "89C0 C1C808 31C0 9C 5F" },
        // shift, ALU
        { "shr esi,3; xor ebx,esi; pushfd; pop edi", "C1EE03 31F3 9C 5F" },
        { "rol ebp,15; add ebp,ecx; pushfd; pop edi", "C1C50F 01CD 9C 5F" },
        // ALU, ALU
        { "xor esi,ebx; add edx,esi; pushfd; pop edi", "31DE 01F2 9C 5F" },
        { "sub eax,ecx (2B); and ecx,eax (23); pushfd; pop edi", "2BC1 23C8 9C 5F" },
        { "or eax,ebx; cmp eax,ecx; pushfd; pop edi", "09D8 39C8 9C 5F" },
        { "add eax,ebx; test eax,eax; pushfd; pop edi", "01D8 85C0 9C 5F" },
        { "xor eax,ebx; add ebx,ecx (flags dead); sub ecx,edx; pushfd; pop edi", "31D8 01CB 29D1 9C 5F" },
        { "add eax,eax; xor eax,eax; pushfd; pop edi", "01C0 31C0 9C 5F" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void FusedChains_MatchHostProcessor(string text, string hex)
        => RegisterSequenceCheck.MatchesHost(text, hex, Defined, Cases);
}
