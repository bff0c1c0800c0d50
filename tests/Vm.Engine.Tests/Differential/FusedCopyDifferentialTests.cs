namespace Vm.Engine.Tests.Differential;

/// <summary>
/// Copy-then-operate pairs (mov d,s; op d,...) that the block decoder fuses into one slot, run
/// through the block loop and against the host processor: registers, arithmetic flags (including
/// the rotates' lazily kept flags, read back with PUSHFD).
/// </summary>
public class FusedCopyDifferentialTests
{
    private const int Cases = 300;
    private const uint Defined = 0x1 | 0x4 | 0x40 | 0x80; // CF PF ZF SF (OF/AF vary with the form)

    public static TheoryData<string, string> Forms() => new()
    {
        { "mov esi,ecx; ror esi,6; pushfd; pop edi", "89CE C1CE06 9C 5F" },
        { "mov edx,ecx; rol edx,7; xor edx,esi", "89CA C1C207 31F2" },
        { "mov eax,ebx; xor eax,ecx; mov ecx,edx; and ecx,eax", "89D8 31C8 89D1 21C1" },
        { "mov esi,ebx; add esi,esi; mov edi,eax; sub edi,ebx", "89DE 01F6 89C7 29DF" },
        { "mov edi,ebx; or edi,ecx; mov eax,edx; shr eax,3; mov ebx,ecx; sar ebx,31", "89DF 09CF 89D0 C1E803 89CB C1FB1F" },
        { "mov ecx,eax (8B); sub ecx,ebx (2B); mov edx,ecx; shl edx,4", "8BC8 2BCB 8BD1 C1E204" },
        { "mov esi,ecx; not esi; and esi,edx; mov edi,ecx; and edi,ebx; xor esi,edi", "89CE F7D6 21D6 89CF 21DF 31FE" },
        { "mov eax,eax; xor eax,eax; mov ebx,ecx; rol ebx,1 (C1 /0 1)", "89C0 31C0 89CB C1C301" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void FusedPairs_MatchHostProcessor(string text, string hex)
        => RegisterSequenceCheck.MatchesHost(text, hex, Defined, Cases);
}
