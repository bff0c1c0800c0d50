using System.Security.Cryptography;
using System.Text;

namespace Vm.Engine.Tests.Boot;

/// <summary>Boots Debian's stock i386 kernel with the BusyBox initramfs and runs real programs.</summary>
public class BootTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public void Boot_LeanCmdline256M_RunsUnameArithmeticPipeTmpfsGzipSha256()
    {
        using var g = new GuestSession("console=ttyS0 quiet cryptomgr.notests noisapnp", 256u << 20);
        g.WaitFor(GuestSession.Marker, BootTimeout);
        g.WaitFor("# ", TimeSpan.FromSeconds(60));

        string uname = g.Run("uname -a");
        Assert.Contains("Linux", uname);
        Assert.Contains("686", uname);
        Assert.Equal("i686", g.Run("uname -m").Trim());

        Assert.Equal("42", g.Run("echo $((6*7))").Trim());
        Assert.Equal("HELLO WORLD", g.Run("echo hello world | tr a-z A-Z").Trim());

        Assert.Contains("tmpfs on /tmp", g.Run("mount"));
        Assert.Equal("webvm", g.Run("echo webvm > /tmp/f && cat /tmp/f").Trim());

        // A file whose content the test knows: 2000 numbered lines.
        var content = new StringBuilder();
        for (int k = 1; k <= 2000; k++) content.Append("webvm-").Append(k).Append('\n');
        string expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(content.ToString())));
        g.Run("for i in $(seq 1 2000); do echo webvm-$i; done > /tmp/data");
        Assert.Equal($"{content.Length}", g.Run("wc -c < /tmp/data").Trim());
        Assert.StartsWith(expected, g.Run("sha256sum /tmp/data").Trim());

        // gzip round trip, and the compressed file is smaller and valid.
        g.Run("gzip -c /tmp/data > /tmp/data.gz");
        int gzSize = int.Parse(g.Run("wc -c < /tmp/data.gz").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(gzSize, 100, content.Length / 2);
        Assert.StartsWith(expected, g.Run("gzip -dc /tmp/data.gz | sha256sum").Trim());
        Assert.Equal("ok", g.Run("gzip -t /tmp/data.gz && echo ok").Trim());
    }

    [Fact]
    public void Boot_OtherCmdline128M_SeesItsCommandLineAndMemory()
    {
        using var g = new GuestSession("console=ttyS0 cryptomgr.notests noisapnp loglevel=5 webvm.test=second", 128u << 20);
        g.WaitFor(GuestSession.Marker, BootTimeout);
        g.WaitFor("# ", TimeSpan.FromSeconds(60));
        Assert.Contains("webvm.test=second", g.Run("cat /proc/cmdline"));
        string mem = g.Run("grep MemTotal /proc/meminfo");
        int kb = int.Parse(mem.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(kb, 100_000, 131_072);
        Assert.Equal("3628800", g.Run("echo $((10*9*8*7*6*5*4*3*2))").Trim());

        // A student's `reboot` goes through the i8042 reset line and stops the machine.
        g.Send("reboot");
        Assert.Equal(MachineExit.Reset, g.WaitForExit(TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void Boot_PoweroffFromGuest_PowersOff_WithoutAPanic()
    {
        using var g = new GuestSession("console=ttyS0 quiet cryptomgr.notests noisapnp", 64u << 20);
        g.WaitFor(GuestSession.Marker, BootTimeout);
        g.WaitFor("# ", TimeSpan.FromSeconds(60));
        // As a student types it: no -f, no ACPI in this machine (docs/engine.md, "Power").
        g.Send("poweroff");
        Assert.Equal(MachineExit.PoweredOff, g.WaitForExit(TimeSpan.FromMinutes(2)));
        Assert.DoesNotContain("Kernel panic", g.Output);
    }
}
