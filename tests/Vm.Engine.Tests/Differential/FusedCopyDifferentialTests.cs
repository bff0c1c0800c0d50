using System.Globalization;
using System.Text;
using Vm.Engine.Tests.Cpu;

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
    {
        var rng = new Random(text.Aggregate(31, (h, c) => h * 31 + c));
        byte[] code = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        var inputs = new List<(uint[] Regs, uint Flags)>();
        var lines = new List<string>();
        var mem = new byte[EngineRunner.MemSize];
        for (int n = 0; n < Cases; n++)
        {
            var regs = new uint[8];
            for (int r = 0; r < 8; r++) regs[r] = (uint)rng.NextInt64(0, 1L << 32);
            regs[4] = 0x00A00800;
            uint flags = 0x202 | ((uint)rng.Next(0, 1 << 12) & 0x8D5);
            inputs.Add((regs, flags));
            var sb = new StringBuilder(Convert.ToHexString(code));
            foreach (var r in regs) sb.Append(' ').Append(r.ToString("x", CultureInfo.InvariantCulture));
            sb.Append(' ').Append(flags.ToString("x", CultureInfo.InvariantCulture)).Append(' ').Append(Convert.ToHexString(mem));
            lines.Add(sb.ToString());
        }
        string[] native = NativeHarness.Run(lines);
        using var engine = new EngineRunner();
        for (int n = 0; n < Cases; n++)
        {
            var (regs, flags) = inputs[n];
            var parts = native[n].Split(' ');
            var got = engine.Run(code, regs, flags, mem, viaBlocks: true);
            Assert.Equal(-1, got.Vector);
            for (int r = 0; r < 8; r++)
            {
                uint want = uint.Parse(parts[1 + r], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (r == 7 && text.Contains("pop edi", StringComparison.Ordinal)) { want &= Defined; got.Regs[r] &= Defined; }
                Assert.True(want == got.Regs[r], $"{text}: r{r} host {want:X8} engine {got.Regs[r]:X8}");
            }
            uint wantFl = uint.Parse(parts[9], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.Equal(wantFl & Defined, got.Eflags & Defined);
        }
    }
}
