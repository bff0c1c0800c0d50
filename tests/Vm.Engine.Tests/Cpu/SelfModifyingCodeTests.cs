namespace Vm.Engine.Tests.Cpu;

/// <summary>Stores into decoded code drop the stale blocks, whichever store path (fast TLB entry or slow) they take.</summary>
public sealed class SelfModifyingCodeTests
{
    private static byte[] Le(uint v) => BitConverter.GetBytes(v);

    [Fact]
    public void Patching_an_instruction_of_the_running_loop_takes_effect_on_the_next_iteration()
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
        using var runner = new EngineRunner();
        var r = runner.Run(code, [0, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(-1, r.Vector);
        Assert.Equal(0xFFFFFFFFu, r.Regs[0]); // +1, then -1 twice: the patched code ran
    }

    [Fact]
    public void Rewriting_called_code_through_a_data_pointer_runs_the_new_code()
    {
        uint buf = EngineRunner.DataAddr + 0x100;
        byte[] code =
        [
            0xBF, .. Le(buf),                    // mov edi,buf
            0x66, 0xC7, 0x07, 0x40, 0xC3,        // mov word [edi],0xC340   (inc eax; ret)
            0xFF, 0xD7,                          // call edi
            0x66, 0xC7, 0x07, 0x48, 0xC3,        // mov word [edi],0xC348   (dec eax; ret)
            0xFF, 0xD7,                          // call edi
            0xFF, 0xD7,                          // call edi
        ];
        using var runner = new EngineRunner();
        var r = runner.Run(code, [5, 0, 0, 0, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(-1, r.Vector);
        Assert.Equal(4u, r.Regs[0]); // 5 + 1 - 1 - 1
    }
}
