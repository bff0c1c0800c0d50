using Vm.Engine.Jit;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Jit;

/// <summary>
/// Every instruction form the differential tests know, compiled by the IL backend (threshold 1:
/// each block is compiled before its first run) against single steps of the interpreter,
/// which DifferentialTests checks against the host processor.
/// </summary>
public class JitDifferentialTests
{
    private const int Cases = 100;

    [Theory]
    [MemberData(nameof(DifferentialTests.Forms), MemberType = typeof(DifferentialTests))]
    public void IlCompiled_MatchesSingleSteps(DifferentialTests.Form form)
    {
        var rng = new Random(form.Text.Aggregate(23, (h, c) => h * 31 + c));
        byte[] code = Convert.FromHexString(form.Hex);
        using var stepped = new EngineRunner();
        using var jitted = new EngineRunner();
        jitted.Cpu.SetJitMode(JitMode.Il);
        jitted.Cpu.JitThreshold = 1;
        var failures = new List<string>();
        for (int n = 0; n < Cases && failures.Count < 5; n++)
        {
            var (regs, flags, mem) = DifferentialTests.Inputs(form, rng, n);
            var want = stepped.Run(code, regs, flags, mem);
            var got = jitted.Run(code, regs, flags, mem, viaBlocks: true);
            string input = $"in: eax={regs[0]:X8} ecx={regs[1]:X8} edx={regs[2]:X8} ebx={regs[3]:X8} esi={regs[6]:X8} edi={regs[7]:X8} fl={flags:X}";
            if (want.Vector != got.Vector) { failures.Add($"{input}: steps exception {want.Vector}, jit {got.Vector}"); continue; }
            if (want.Vector >= 0) continue;
            for (int r = 0; r < 8; r++)
            {
                if (want.Regs[r] != got.Regs[r]) failures.Add($"{input}: r{r} steps {want.Regs[r]:X8} jit {got.Regs[r]:X8}");
            }
            if ((want.Eflags & 0x8D5) != (got.Eflags & 0x8D5)) failures.Add($"{input}: eflags steps {want.Eflags:X} jit {got.Eflags:X}");
            if (!want.Mem.AsSpan().SequenceEqual(got.Mem)) failures.Add($"{input}: memory differs");
        }
        Assert.True(jitted.Cpu.JitCounters.BlocksCompiled > 0, "the IL backend compiled nothing");
        Assert.True(failures.Count == 0, $"{form.Text}:\n" + string.Join("\n", failures));
    }
}
