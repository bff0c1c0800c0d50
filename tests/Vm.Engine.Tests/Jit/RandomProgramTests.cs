using Vm.Engine.Jit;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Jit;

/// <summary>
/// Random programs (RandomProgram) run under the interpreter and under the IL backend (every
/// block compiled at once, or after a few runs so interpreted and compiled blocks mix): the
/// same exception, registers, arithmetic flags, memory and instruction count.
/// </summary>
public class RandomProgramTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(2000, 3)]
    [InlineData(3000, 7)]
    // Guest registers in IL locals (X86Cpu.JitRegisterLocals, off by default): every fault,
    // handler call and exit must find them written back.
    [InlineData(4000, 1, true)]
    [InlineData(5000, 3, true)]
    public void RandomPrograms_IlMatchesInterpreter(int firstSeed, int threshold, bool registerLocals = false)
    {
        using var interp = new EngineRunner();
        using var jit = new EngineRunner();
        jit.Cpu.SetJitMode(JitMode.Il);
        jit.Cpu.JitThreshold = threshold;
        jit.Cpu.JitRegisterLocals = registerLocals;
        const int Programs = 60;
        for (int seed = firstSeed; seed < firstSeed + Programs; seed++)
        {
            var rng = new Random(seed);
            byte[] code = RandomProgram.Generate(rng, bodyLength: rng.Next(4, 40), iterations: rng.Next(1, 12));
            var regs = new uint[8];
            for (int r = 0; r < 8; r++) regs[r] = (uint)rng.Next() ^ ((uint)rng.Next() << 16);
            regs[4] = EngineRunner.DataAddr + 0x1F0;
            var mem = new byte[EngineRunner.MemSize];
            rng.NextBytes(mem);
            uint flags = (uint)rng.Next() & 0x8D5;

            var want = interp.Run(code, regs, flags, mem, viaBlocks: true);
            ulong wantCount = interp.Cpu.InstructionCount;
            var got = jit.Run(code, regs, flags, mem, viaBlocks: true);
            ulong gotCount = jit.Cpu.InstructionCount;

            string where = $"seed {seed} (threshold {threshold}, register locals {registerLocals}), code {Convert.ToHexString(code)}";
            Assert.True(want.Vector == got.Vector, $"{where}: interpreter exception {want.Vector}, jit {got.Vector}");
            for (int r = 0; r < 8; r++)
                Assert.True(want.Regs[r] == got.Regs[r], $"{where}: r{r} interpreter {want.Regs[r]:X8} jit {got.Regs[r]:X8}");
            Assert.True((want.Eflags & 0x8D5) == (got.Eflags & 0x8D5), $"{where}: eflags interpreter {want.Eflags:X} jit {got.Eflags:X}");
            int diff = Enumerable.Range(0, want.Mem.Length).FirstOrDefault(k => want.Mem[k] != got.Mem[k], -1);
            Assert.True(diff < 0, $"{where}: memory +0x{diff:X} interpreter {(diff < 0 ? 0 : want.Mem[diff]):X2} jit {(diff < 0 ? 0 : got.Mem[diff]):X2}");
            Assert.True(wantCount == gotCount, $"{where}: instruction count interpreter {wantCount} jit {gotCount}");
            Assert.True(interp.Cpu.S.Eip == jit.Cpu.S.Eip, $"{where}: eip interpreter {interp.Cpu.S.Eip:X8} jit {jit.Cpu.S.Eip:X8}");
        }
        Assert.True(jit.Cpu.JitCounters.NativeOps > 0 && jit.Cpu.JitCounters.CompiledRuns > 0, "the IL backend ran no native code");
    }
}
