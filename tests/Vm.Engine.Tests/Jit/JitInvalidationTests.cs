using Vm.Engine.Jit;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Jit;

/// <summary>Compiled code goes when its page is written, and the code cache stays within its bound.</summary>
public sealed class JitInvalidationTests
{
    private static byte[] Le(uint v) => BitConverter.GetBytes(v);

    private static EngineRunner JitRunner(int threshold = 1)
    {
        var runner = new EngineRunner();
        runner.Cpu.SetJitMode(JitMode.Il);
        runner.Cpu.JitThreshold = threshold;
        return runner;
    }

    [Fact]
    public void PatchingCompiledLoop_RunsPatchedCodeOnNextIteration()
    {
        uint patchAt = EngineRunner.CodeAddr + 5; // the INC EAX below
        byte[] code =
        [
            0xB9, .. Le(3),                      // mov ecx,3
            0x40,                                // L1: inc eax   (patched into dec eax)
            0xC6, 0x05, .. Le(patchAt), 0x48,    // mov byte [L1],0x48
            0x49,                                // dec ecx
            0x75, 0xF5,                          // jnz L1
        ];
        using var runner = JitRunner();
        var r = runner.Run(code, [0, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(-1, r.Vector);
        Assert.Equal(0xFFFFFFFFu, r.Regs[0]); // +1, then -1 twice: the patched code ran
        Assert.True(runner.Cpu.JitCounters.Invalidations > 0);
    }

    [Fact]
    public void NativeStoreIntoCompiledCallee_DropsItAndRunsNewCode()
    {
        // The stores are MOV [edi],imm32 (native ops in the IR): their slow path finds the code page.
        uint buf = EngineRunner.DataAddr + 0x100;
        byte[] code =
        [
            0xBF, .. Le(buf),                    // mov edi,buf
            0xB9, .. Le(5),                      // mov ecx,5
            0xC7, 0x07, .. Le(0x90C340),         // L: mov dword [edi],inc eax; ret; nop
            0xFF, 0xD7,                          // call edi
            0xFF, 0xD7,                          // call edi
            0xC7, 0x07, .. Le(0x90C348),         // mov dword [edi],dec eax; ret; nop
            0xFF, 0xD7,                          // call edi
            0x49,                                // dec ecx
            0x75, 0xEB,                          // jnz L
        ];
        using var runner = JitRunner();
        var r = runner.Run(code, [100, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(-1, r.Vector);
        Assert.Equal(105u, r.Regs[0]); // 5 times: +1 +1 -1
        Assert.True(runner.Cpu.JitCounters.Invalidations >= 5, $"invalidations {runner.Cpu.JitCounters.Invalidations}");
    }

    [Fact]
    public void ChainSiteRecord_IsNotUsedAfterItsTargetWasRewritten()
    {
        // The CALL site remembers the callee it chained to; halfway the loop rewrites the
        // callee's immediate, and a site that kept its record would go on adding the old one.
        uint buf = EngineRunner.DataAddr + 0x100;
        byte[] code =
        [
            0xBF, .. Le(buf),                    // mov edi,buf
            0xC7, 0x07, .. Le(0xC301C083),       // mov dword [edi],(add eax,1; ret)
            0xB9, .. Le(6),                      // mov ecx,6
            0xFF, 0xD7,                          // L: call edi
            0x83, 0xF9, 0x04,                    // cmp ecx,4
            0x75, 0x04,                          // jne skip
            0xC6, 0x47, 0x02, 0x05,              // mov byte [edi+2],5   (add eax,5)
            0x49,                                // skip: dec ecx
            0x75, 0xF2,                          // jnz L
        ];
        using var runner = JitRunner();
        var r = runner.Run(code, [0, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(-1, r.Vector);
        Assert.Equal(18u, r.Regs[0]); // 3 * 1 + 3 * 5
        Assert.True(runner.Cpu.JitCounters.ChainSiteHits > 0, $"site hits {runner.Cpu.JitCounters.ChainSiteHits}");
    }

    [Fact]
    public void CacheLimit_EvictsOldestAndResultsStayRight()
    {
        // 64 blocks (one per JMP target) run 20 times: with room for 8, blocks are evicted and recompiled.
        var code = new List<byte> { 0xB9 }; // mov ecx,20
        code.AddRange(Le(20));
        int loop = code.Count;
        for (int k = 0; k < 64; k++)
        {
            code.AddRange([0x83, 0xC0, (byte)(k + 1)]); // add eax,k+1
            code.AddRange([0xEB, 0x00]);                 // jmp next (ends the block)
        }
        code.Add(0x49); // dec ecx
        int rel = loop - (code.Count + 6);
        code.AddRange([0x0F, 0x85]);
        code.AddRange(Le((uint)rel));
        using var runner = JitRunner();
        runner.Cpu.JitCacheLimit = 8;
        var r = runner.Run([.. code], [0, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(-1, r.Vector);
        Assert.Equal(20u * (64 * 65 / 2), r.Regs[0]);
        Assert.True(runner.Cpu.JitCounters.Evictions > 0);
        Assert.True(runner.Cpu.JitCounters.BlocksCompiled > 64);
    }

    [Fact]
    public void FaultInCompiledBlock_LeavesStateAsOfBeforeTheFaultingInstruction()
    {
        // mov eax,1; add eax,2; mov edx,[0xFFFFFFF0] (beyond RAM: no fault, so use DIV by 0); the
        // add must be done, EIP must be the DIV's, and the count must be the interpreter's.
        byte[] code =
        [
            0xB8, .. Le(1),                      // mov eax,1
            0x83, 0xC0, 0x02,                    // add eax,2
            0x31, 0xDB,                          // xor ebx,ebx
            0x89, 0x05, .. Le(EngineRunner.DataAddr), // mov [data],eax
            0xF7, 0xF3,                          // div ebx  (#DE)
            0x40,                                // inc eax (not reached)
        ];
        using var interp = new EngineRunner();
        var want = interp.Run(code, [0, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        using var runner = JitRunner();
        var got = runner.Run(code, [0, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(0, got.Vector);
        Assert.Equal(want.Vector, got.Vector);
        Assert.Equal(3u, got.Regs[0]);
        Assert.Equal(3, got.Mem[0]);
        Assert.Equal(want.Regs, got.Regs);
        Assert.Equal(interp.Cpu.InstructionCount, runner.Cpu.InstructionCount);
        Assert.Equal(interp.Cpu.S.Eip, runner.Cpu.S.Eip);
    }
}
