using System.Security.Cryptography;
using System.Text;
using Vm.Engine.Devices;

namespace Vm.Engine.Tests.Snapshots;

/// <summary>
/// A machine driven on the test's own thread in fixed slices of retired instructions, on the
/// instruction clock, so two machines given the same input and the same slices must agree exactly.
/// </summary>
public sealed class DrivenMachine : IDisposable
{
    public const string LeanCmdline = "console=ttyS0 quiet cryptomgr.notests noisapnp";
    public const long SliceInstructions = 1_000_000;
    private readonly StringBuilder _out = new();

    public Machine Machine { get; }

    public DrivenMachine(uint memoryBytes, Func<MachineConfig, MachineConfig>? configure = null)
    {
        var config = new MachineConfig
        {
            MemoryBytes = memoryBytes,
            Clock = ClockMode.Instructions,
            SerialOut = b => _out.Append((char)b),
            // virtio-rng's bytes must not differ between two machines (the kernel's hwrng thread
            // reads them in the background): a pattern of the position, with no state to carry.
            EntropySource = PatternEntropy,
        };
        Machine = new Machine(configure?.Invoke(config) ?? config);
    }

    public static DrivenMachine Booted(uint memoryBytes, Func<MachineConfig, MachineConfig>? configure = null)
    {
        var d = new DrivenMachine(memoryBytes, configure);
        d.Machine.LoadLinux(File.ReadAllBytes(GuestImages.Kernel), File.ReadAllBytes(GuestImages.Initrd), LeanCmdline);
        d.RunUntil("WEBVM-SHELL-READY", maxSlices: 20_000);
        d.RunUntil("# ", maxSlices: 2_000, from: d.Output.IndexOf("WEBVM-SHELL-READY", StringComparison.Ordinal));
        return d;
    }

    public static void PatternEntropy(Span<byte> span)
    {
        for (int i = 0; i < span.Length; i++) span[i] = (byte)(i * 7 + 3);
    }

    public string Output => _out.ToString();

    /// <summary>Runs slices until <paramref name="text"/> appears; returns how many slices it took.</summary>
    public int RunUntil(string text, int maxSlices, int from = 0)
    {
        for (int n = 1; n <= maxSlices; n++)
        {
            RunSlices(1);
            if (_out.ToString().IndexOf(text, Math.Max(0, from), StringComparison.Ordinal) >= 0) return n;
        }
        Assert.Fail($"'{text}' did not appear within {maxSlices} slices. Output tail:\n{Tail()}");
        return -1;
    }

    public void RunSlices(int n)
    {
        for (int i = 0; i < n; i++)
        {
            var exit = Machine.RunSlice(SliceInstructions);
            if (exit != MachineExit.Running) Assert.Fail($"Machine stopped ({exit}, {Machine.StopReason}). Output tail:\n{Tail()}");
        }
    }

    public void Type(string line) => Machine.SendInput(Encoding.ASCII.GetBytes(line + "\n"));

    public string MemoryHash() => Convert.ToHexStringLower(SHA256.HashData(Machine.Memory.Span(0, (int)Machine.Memory.Size)));

    private string Tail()
    {
        string o = _out.ToString();
        return o.Length > 2000 ? o[^2000..] : o;
    }

    public void Dispose() => Machine.Dispose();
}
