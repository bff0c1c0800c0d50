using System.Globalization;
using System.Text;
using Vm.Engine.Devices.Virtio;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.Virtio;

/// <summary>
/// Debian's stock kernel finds the virtio devices on the PCI bus (its initramfs loads the modules)
/// and uses them: the console port as /dev/hvc0, the named port, and /dev/hwrng.
/// </summary>
public sealed class VirtioBootTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public void Boot_VirtioConsoleAndRng_PortsAndHwrngWorkInTheGuest()
    {
        var entropy = new List<byte>();
        var seeded = VirtioRng.Seeded(2026);
        var fromHvc = new StringBuilder();
        var fromSubmit = new StringBuilder();
        var submitOpen = new List<bool>();
        using var g = new GuestSession("console=ttyS0 quiet cryptomgr.notests noisapnp", 128u << 20, c => c with
        {
            EntropySource = span =>
            {
                seeded(span);
                lock (entropy) entropy.AddRange(span.ToArray());
            },
        });
        var console = g.Machine.VirtioConsole;
        console.Console.Received += d => { lock (fromHvc) fromHvc.Append(Encoding.ASCII.GetString(d.Span)); };
        var submit = console.Port("org.webvm.submit")!;
        submit.Received += d => { lock (fromSubmit) fromSubmit.Append(Encoding.ASCII.GetString(d.Span)); };
        submit.GuestOpenChanged += open => { lock (submitOpen) submitOpen.Add(open); };
        g.WaitFor(GuestSession.Marker, BootTimeout);
        g.WaitFor("# ", TimeSpan.FromSeconds(60));

        // Found through PCI with the IRQs the Interrupt Line registers announce, on the 8259.
        string interrupts = g.Run("cat /proc/interrupts");
        Assert.Matches(@"(?m)^\s*9:\s+\d+\s+XT-PIC\s+virtio", interrupts);
        Assert.Matches(@"(?m)^\s*10:\s+\d+\s+XT-PIC\s+virtio", interrupts);
        Assert.Equal("org.webvm.submit", g.Run("cat /sys/class/virtio-ports/vport0p1/name").Trim());

        // hvc0, guest → host and host → guest.
        g.Run("echo guest-to-hvc0 > /dev/hvc0");
        WaitUntil(() => { lock (fromHvc) return fromHvc.ToString().Contains("guest-to-hvc0", StringComparison.Ordinal); }, "hvc0 output at the host");
        g.Run("(read -r line < /dev/hvc0; echo \"got:$line\" > /tmp/hvc) & sleep 0.1");
        Thread.Sleep(500);
        console.Console.Send("host-to-hvc0\n"u8);
        Assert.Equal("got:host-to-hvc0", g.Run("for i in $(seq 1 100); do [ -s /tmp/hvc ] && break; sleep 0.2; done; cat /tmp/hvc").Trim());

        // The named port: bytes both ways, and the host hears the guest open and close it.
        g.Run("printf submit-bytes > /dev/vport0p1");
        WaitUntil(() => { lock (fromSubmit) return fromSubmit.ToString() == "submit-bytes"; }, "the named port's bytes at the host");
        WaitUntil(() => { lock (submitOpen) return submitOpen.SequenceEqual([true, false]); }, "open then close of the named port");
        submit.Send("reply\n"u8);
        Assert.Equal("reply", g.Run("head -n 1 /dev/vport0p1").Trim());

        // /dev/hwrng serves bytes that came from the host's entropy source.
        Assert.Equal("virtio_rng.0", g.Run("cat /sys/class/misc/hw_random/rng_current").Trim());
        string hex = g.Run("head -c 32 /dev/hwrng | od -An -tx1 -v");
        byte[] read = hex.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(32, read.Length);
        byte[] stream;
        lock (entropy) stream = entropy.ToArray();
        Assert.True(stream.AsSpan().IndexOf(read) >= 0, "the guest's /dev/hwrng bytes are a run of the device's output");
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}.");
            Thread.Sleep(50);
        }
    }
}
