using System.Globalization;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Differential;

/// <summary>
/// Runs a register-only instruction sequence through the engine's block loop and on the host
/// processor over random registers and flags, and asserts the same registers and the same
/// <c>definedFlags</c>. A sequence ending in "pushfd; pop edi" (named in its text) has EDI compared
/// through the same mask, since it holds the flags.
/// </summary>
internal static class RegisterSequenceCheck
{
    public static void MatchesHost(string text, string hex, uint definedFlags, int cases)
    {
        var rng = new Random(text.Aggregate(31, (h, c) => h * 31 + c));
        byte[] code = MemorySequenceCheck.Code(hex);
        var mem = new byte[EngineRunner.MemSize];
        var inputs = new List<(uint[] Regs, uint Flags, byte[] Mem)>();
        for (int n = 0; n < cases; n++)
        {
            var regs = new uint[8];
            for (int r = 0; r < 8; r++) regs[r] = (uint)rng.NextInt64(0, 1L << 32);
            regs[4] = 0x00A00800;
            uint flags = 0x202 | ((uint)rng.Next(0, 1 << 12) & 0x8D5);
            inputs.Add((regs, flags, mem));
        }
        var native = MemorySequenceCheck.OnHost(code, inputs);
        using var engine = new EngineRunner();
        for (int n = 0; n < cases; n++)
        {
            var (regs, flags, _) = inputs[n];
            var parts = native[n];
            var got = engine.Run(code, regs, flags, mem, viaBlocks: true);
            Assert.Equal(-1, got.Vector);
            for (int r = 0; r < 8; r++)
            {
                uint want = uint.Parse(parts[1 + r], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (r == 7 && text.Contains("pop edi", StringComparison.Ordinal)) { want &= definedFlags; got.Regs[r] &= definedFlags; }
                Assert.True(want == got.Regs[r], $"{text}: r{r} host {want:X8} engine {got.Regs[r]:X8}");
            }
            uint wantFl = uint.Parse(parts[9], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.Equal(wantFl & definedFlags, got.Eflags & definedFlags);
        }
    }
}
