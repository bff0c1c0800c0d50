namespace Vm.Engine.Tests.Differential;

/// <summary>
/// Register-only sequences where the block decoder drops the flags of operations whose flags a
/// later operation overwrites (Cpu/Instructions/FlagLiveness.cs), next to ones whose flags stay
/// live (read by PUSHFD, ADC, RCL, INC's kept CF, or the block's end), run through the block loop
/// and against the host processor: registers and the arithmetic flags.
/// </summary>
public class DeadFlagsDifferentialTests
{
    private const int Cases = 300;
    private const uint Defined = 0x1 | 0x4 | 0x40 | 0x80, OF = 0x800; // CF PF ZF SF; OF where the last flag writer defines it (not multi-bit shifts and rotates)

    public static TheoryData<string, string, bool> Forms() => new()
    {
        { "sha256's sigma: mov/ror, mov/ror, xor, mov/rol, xor; pushfd; pop edi", "89CE C1CE06 89CA C1CA0B 31F2 89CE C1C607 31F2 9C 5F", true },
        { "xor eax,ebx; ror ecx,3 (keeps the xor's SF/ZF/PF); pushfd; pop edi", "31D8 C1C903 9C 5F", false },
        { "add eax,ebx; inc ecx (keeps the add's CF); pushfd; pop edi", "01D8 41 9C 5F", true },
        { "sub eax,ebx; adc ecx,edx (reads CF); shl eax,3; rol ebx,5; xor ecx,edx", "29D8 11D1 C1E003 C1C305 31D1", true },
        { "cmp eax,ebx; lea ecx,[eax+ebx*2+7]; bswap edx; not esi; mov edi,5; sub eax,ebx", "39D8 8D4C5807 0FCA F7D6 BF05000000 29D8", true },
        { "ror eax,7; ror ebx,3 (live at the block end); pushfd; pop edi", "C1C807 C1CB03 9C 5F", false },
        { "add eax,ebx; rcl ecx,1 (reads CF); and edx,0x7f; test eax,ecx", "01D8 D1D1 83E27F 85C8", true },
        { "shr ecx,10; sar edx,3; add eax,ebx; cmp eax,ebx; pushfd; pop edi", "C1E90A C1FA03 01D8 39D8 9C 5F", true },
        { "add eax,ebx; mov ecx,edx; shr edx,5; pushfd; pop edi", "01D8 89D1 C1EA05 9C 5F", false },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void DeadFlags_MatchHostProcessor(string text, string hex, bool ofDefined)
        => RegisterSequenceCheck.MatchesHost(text, hex, Defined | (ofDefined ? OF : 0), Cases);
}
