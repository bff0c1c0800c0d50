using System.Globalization;
using System.Text;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Differential;

/// <summary>
/// Code that reads and writes the data page, run through the engine's block loop: against the host
/// processor over random inputs (the same registers, memory and, under a mask, flags), and, where an
/// instruction faults, against single steps (the vector, the faulting instruction's EIP, and exactly
/// the instructions before it retired).
/// </summary>
internal static class MemorySequenceCheck
{
    public delegate (uint[] Regs, uint Flags, byte[] Mem) Inputs(Random rng);

    /// <param name="definedFlags">The flags compared with the host's; 0 compares none.</param>
    public static void MatchesHost(string text, string hex, int seed, Inputs make, uint definedFlags, int cases)
    {
        var rng = new Random(text.Aggregate(seed, (h, c) => h * 31 + c));
        byte[] code = Code(hex);
        var inputs = Enumerable.Range(0, cases).Select(_ => make(rng)).ToList();
        var native = OnHost(code, inputs);
        using var engine = new EngineRunner();
        for (int n = 0; n < cases; n++)
        {
            var (regs, flags, mem) = inputs[n];
            var parts = native[n];
            Assert.Equal("0", parts[0]);
            var got = engine.Run(code, regs, flags, mem, viaBlocks: true);
            Assert.Equal(-1, got.Vector);
            for (int r = 0; r < 8; r++)
            {
                uint want = uint.Parse(parts[1 + r], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                Assert.True(want == got.Regs[r], $"{text}: r{r} host {want:X8} engine {got.Regs[r]:X8}");
            }
            uint wantFl = uint.Parse(parts[9], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.True((wantFl & definedFlags) == (got.Eflags & definedFlags), $"{text}: eflags host {wantFl:X} engine {got.Eflags:X}");
            Assert.True(Convert.FromHexString(parts[10]).AsSpan().SequenceEqual(got.Mem), $"{text}: memory differs");
        }
    }

    /// <summary>
    /// With GS limited to the first MiB (<see cref="LimitGs"/>), the instruction at <paramref name="faultAt"/>
    /// raises #GP through the block loop exactly as when single-stepped; <paramref name="retired"/> checks
    /// what the instructions before it left (given the inputs and the registers after the fault).
    /// </summary>
    public static void FaultsLikeSingleSteps(string text, string hex, int seed, Inputs make, int faultAt, Action<uint[], byte[], uint[]> retired)
    {
        var rng = new Random(text.Aggregate(seed, (h, c) => h * 31 + c));
        byte[] code = Code(hex);
        using var stepped = new EngineRunner();
        using var blocks = new EngineRunner();
        for (int n = 0; n < 20; n++)
        {
            var (regs, flags, mem) = make(rng);
            var want = stepped.Run(code, regs, flags, mem, setup: LimitGs);
            uint wantEip = stepped.Cpu.S.Eip;
            var got = blocks.Run(code, regs, flags, mem, viaBlocks: true, setup: LimitGs);
            Assert.Equal(13, want.Vector);
            Assert.Equal(13, got.Vector);
            Assert.Equal(EngineRunner.CodeAddr + (uint)faultAt, wantEip);
            Assert.Equal(wantEip, blocks.Cpu.S.Eip);
            Assert.Equal(want.Regs, got.Regs);
            Assert.Equal(want.Mem, got.Mem);
            retired(regs, mem, got.Regs);
        }
    }

    /// <summary>
    /// The code run once per input on the host processor (tests/native): each answer's fields are the
    /// vector ("0" when none), the eight registers, EFLAGS and the memory, in hex.
    /// </summary>
    public static string[][] OnHost(byte[] code, IEnumerable<(uint[] Regs, uint Flags, byte[] Mem)> inputs)
    {
        var lines = inputs.Select(input =>
        {
            var sb = new StringBuilder(Convert.ToHexString(code));
            foreach (var r in input.Regs) sb.Append(' ').Append(r.ToString("x", CultureInfo.InvariantCulture));
            return sb.Append(' ').Append(input.Flags.ToString("x", CultureInfo.InvariantCulture)).Append(' ').Append(Convert.ToHexString(input.Mem)).ToString();
        });
        return NativeHarness.Run(lines.ToList()).Select(answer => answer.Split(' ')).ToArray();
    }

    /// <summary>GS limited to the first MiB: any access through it to the data page raises #GP(0).</summary>
    public static void LimitGs(X86Cpu cpu) => cpu.LoadSegFromDescriptor(Reg.Gs, 0x33, 0x0000FFFF, 0x004FF200);

    public static byte[] Code(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
