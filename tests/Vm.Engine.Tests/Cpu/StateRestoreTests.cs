namespace Vm.Engine.Tests.Cpu;

/// <summary>Overwriting the CPU state (as a snapshot restore does) leaves no stale lazy flags or decoded code behind.</summary>
public sealed class StateRestoreTests
{
    [Fact]
    public void Restored_state_shows_its_own_flags_and_runs_the_restored_code()
    {
        using var runner = new EngineRunner();
        var cpu = runner.Cpu;
        // add eax,ebx with 0xFFFFFFFF + 1: ZF and CF set, held lazily.
        var first = runner.Run([0x01, 0xD8], [0xFFFFFFFF, 0, 0, 1, EngineRunner.DataAddr + 0x1F0, 0, 0, 0], 0, new byte[EngineRunner.MemSize], viaBlocks: true);
        Assert.Equal(0x41u, first.Eflags & 0x41);

        var saved = cpu.S;
        saved.Eflags = 0x202; // no arithmetic flags
        saved.R[0] = 7;
        cpu.S = saved;
        cpu.AfterStateRestore();
        Assert.Equal(0x202u, cpu.GetEflags());

        // The code page changes under the restored state (a restore writes RAM directly): the
        // old decoded block must not run.
        cpu.S.Eip = EngineRunner.CodeAddr;
        runner.Memory.Load(EngineRunner.CodeAddr, [0x40, 0x40, 0x0F, 0x0B]); // inc eax; inc eax; ud2 (the old block: add eax,ebx)
        cpu.AfterStateRestore();
        cpu.StopReason = null; // the first run ended in the test's UD2 stop
        cpu.Run(100);
        Assert.Equal(9u, cpu.S.R[0]);
    }
}
