using System.Security.Cryptography;
using System.Text;
using Vm.Engine.Jit;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.Jit;

/// <summary>The BusyBox boot and real programs with the IL backend compiling hot code.</summary>
public class JitBootTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public void IlBoot_LeanCmdline_RunsGzipAndSha256WithCompiledCode()
    {
        using var g = new GuestSession("console=ttyS0 quiet cryptomgr.notests noisapnp", 256u << 20, c => c with { Jit = JitMode.Il });
        g.WaitFor(GuestSession.Marker, BootTimeout);
        g.WaitFor("# ", TimeSpan.FromSeconds(60));
        Assert.Equal("i686", g.Run("uname -m").Trim());
        Assert.Equal("3628800", g.Run("echo $((10*9*8*7*6*5*4*3*2))").Trim());

        var content = new StringBuilder();
        for (int k = 1; k <= 2000; k++) content.Append("jit-").Append(k).Append('\n');
        string expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(content.ToString())));
        g.Run("for i in $(seq 1 2000); do echo jit-$i; done > /tmp/data");
        Assert.StartsWith(expected, g.Run("sha256sum /tmp/data").Trim());
        g.Run("gzip -c /tmp/data > /tmp/data.gz");
        Assert.StartsWith(expected, g.Run("gzip -dc /tmp/data.gz | sha256sum").Trim());

        var j = g.Machine.Cpu.JitCounters;
        Assert.True(j.BlocksCompiled > 1000, $"blocks compiled {j.BlocksCompiled}");
        // Most of the work ran in compiled code, and exec'd programs reused pages (invalidations).
        Assert.True(j.CompiledInstructions > g.Machine.Cpu.InstructionCount / 2, $"compiled {j.CompiledInstructions} of {g.Machine.Cpu.InstructionCount}");
        Assert.True(j.Invalidations > 0);
        Assert.Equal(0, j.CompileFailures);

        g.Send("halt -f");
        Assert.Equal(MachineExit.PoweredOff, g.WaitForExit(TimeSpan.FromMinutes(2)));
    }
}
