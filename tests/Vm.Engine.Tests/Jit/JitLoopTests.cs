using Vm.Engine.Jit;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Jit;

/// <summary>A compiled block that branches to itself loops inside compiled code, and still stops where the interpreter stops.</summary>
public sealed class JitLoopTests
{
    [Theory]
    [InlineData(10u)]
    [InlineData(1_000_000u)] // more than the runner's budget of 100 000 instructions: the budget ends the run
    public void SelfLoop_StopsAtTheInterpretersInstructionCountWithTheSameState(uint iterations)
    {
        byte[] code =
        [
            0x83, 0xC0, 0x03,       // L: add eax,3
            0x31, 0xC3,             // xor ebx,eax
            0x49,                   // dec ecx
            0x75, 0xF8,             // jnz L
        ];
        var j = RunUnderInterpreterAndIl(code, iterations, threshold: 1);
        // The loop ran in compiled code: far fewer entries than iterations.
        Assert.True(j.CompiledRuns < Math.Min(iterations, 25_000), $"entries {j.CompiledRuns}");
    }

    [Theory]
    [InlineData(7u)]
    [InlineData(1_000_000u)] // the budget ends the run inside a chain
    public void ReturnsChainToCompiledSuccessors_WithoutTheRunLoop(uint iterations)
    {
        // RET leaves its region (its target is not a direct branch): the exit goes on to the
        // block after the CALL through X86Cpu.JitChain instead of returning to the run loop.
        byte[] code =
        [
            0xE8, 0x06, 0x00, 0x00, 0x00, // L: call F
            0x49,                         // dec ecx
            0x75, 0xF8,                   // jnz L
            0xEB, 0x05,                   // jmp out
            0x90,                         // (padding)
            0x83, 0xC0, 0x03,             // F: add eax,3
            0xC3,                         // ret
            0x31, 0xC3,                   // out: xor ebx,eax
        ];
        var j = RunUnderInterpreterAndIl(code, iterations, threshold: 1);
        Assert.True(j.Chained >= Math.Min(iterations, 1000) - 2, $"chained entries {j.Chained}");
        Assert.True(j.CompiledRuns - j.Chained < 20, $"entries from the run loop {j.CompiledRuns - j.Chained}");
    }

    [Theory]
    [InlineData(50u)]
    [InlineData(1_000_000u)]
    public void BlocksOfACompiledRegion_AreEnteredThroughItsCode_NotCompiledAgain(uint iterations)
    {
        // When L turns hot, F and the block after the CALL (a JE in F reaches it, so it is in
        // the region) are in its region. The RET leaves the region and lands at that block: it
        // runs the region's code through its own entry (not a compile of its own), and the
        // results stay the interpreter's.
        byte[] code =
        [
            0xE8, 0x06, 0x00, 0x00, 0x00, // L: call F
            0x49,                         // B: dec ecx
            0x75, 0xF8,                   // jnz L
            0xEB, 0x0C,                   // jmp out
            0x90,                         // (padding)
            0x83, 0xC0, 0x03,             // F: add eax,3
            0x83, 0xF8, 0xFF,             // cmp eax,-1 (never equal here)
            0x74, 0xEC,                   // je B
            0xC3,                         // ret
            0x90, 0x90,                   // (padding)
            0x31, 0xC3,                   // out: xor ebx,eax
        ];
        var j = RunUnderInterpreterAndIl(code, iterations, threshold: 4);
        Assert.True(j.BlocksCompiled <= 2, $"compiled {j.BlocksCompiled} shared {j.SharedEntries} chained {j.Chained} runs {j.CompiledRuns}");
        Assert.True(j.SharedEntries >= 1, $"shared entries {j.SharedEntries}");
        Assert.True(j.Chained >= Math.Min(iterations, 1000) - 10, $"chained entries {j.Chained}");
    }

    /// <summary>
    /// Runs the code (ECX = <paramref name="iterations"/>) under the interpreter and under the IL JIT
    /// compiling blocks after <paramref name="threshold"/> runs, asserts the same registers, flags,
    /// memory, instruction count and EIP, and returns the JIT's counters.
    /// </summary>
    private static Vm.Engine.Cpu.JitStats RunUnderInterpreterAndIl(byte[] code, uint iterations, int threshold)
    {
        uint[] regs = [0, iterations, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0];
        using var interp = new EngineRunner();
        var want = interp.Run(code, regs, 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        using var jit = new EngineRunner();
        jit.Cpu.SetJitMode(JitMode.Il);
        jit.Cpu.JitThreshold = threshold;
        var got = jit.Run(code, regs, 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(want.Vector, got.Vector);
        Assert.Equal(want.Regs, got.Regs);
        Assert.Equal(want.Eflags & 0x8D5, got.Eflags & 0x8D5);
        Assert.Equal(want.Mem, got.Mem);
        Assert.Equal(interp.Cpu.InstructionCount, jit.Cpu.InstructionCount);
        Assert.Equal(interp.Cpu.S.Eip, jit.Cpu.S.Eip);
        return jit.Cpu.JitCounters;
    }
}
