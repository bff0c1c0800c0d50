using System.Text;
using Vm.Engine.Devices;

namespace Vm.Engine.Tests.Boot;

/// <summary>Runs a machine on a background thread and talks to its serial console.</summary>
public sealed class GuestSession : IDisposable
{
    public const string Marker = "WEBVM-SHELL-READY";
    private readonly Machine _machine;
    private readonly StringBuilder _out = new();
    private readonly Thread _thread;
    private readonly CancellationTokenSource _cts = new();
    private int _commands;
    public MachineExit Exit { get; private set; } = MachineExit.Running;

    /// <param name="configure">Adds to the machine's configuration (a disk, an entropy source, ...).</param>
    public GuestSession(string cmdline, uint memoryBytes, Func<MachineConfig, MachineConfig>? configure = null)
    {
        var config = new MachineConfig
        {
            MemoryBytes = memoryBytes,
            Clock = ClockMode.Instructions,
            SerialOut = b => { lock (_out) _out.Append((char)b); },
        };
        _machine = new Machine(configure?.Invoke(config) ?? config);
        _machine.LoadLinux(File.ReadAllBytes(GuestImages.Kernel), File.ReadAllBytes(GuestImages.Initrd), cmdline);
        _thread = new Thread(() => Exit = _machine.Run(null, _cts.Token)) { IsBackground = true, Name = "guest" };
        _thread.Start();
    }

    public Machine Machine => _machine;

    public string Output { get { lock (_out) return _out.ToString(); } }

    public int OutputLength { get { lock (_out) return _out.Length; } }

    /// <summary>Waits until <paramref name="text"/> appears at or after <paramref name="from"/>; returns its index.</summary>
    public int WaitFor(string text, TimeSpan timeout, int from = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_out)
            {
                int idx = _out.ToString().IndexOf(text, from, StringComparison.Ordinal);
                if (idx >= 0) return idx;
            }
            if (Exit != MachineExit.Running)
                Assert.Fail($"Guest stopped ({Exit}, {_machine.StopReason}) before printing '{text}'. Output:\n{Tail()}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out after {timeout.TotalSeconds:F0} s waiting for '{text}' (EIP=0x{_machine.Cpu.S.Eip:X8}). Output:\n{Tail()}");
            Thread.Sleep(50);
        }
    }

    private string Tail()
    {
        string o = Output;
        return o.Length > 3000 ? o[^3000..] : o;
    }

    /// <summary>Runs a shell command and returns what it printed.</summary>
    /// <remarks>
    /// The output is delimited by markers the shell computes ($((n+0))), so the echoed command
    /// line (which shows the expression, not the number) never counts as output.
    /// </remarks>
    public string Run(string command, TimeSpan? timeout = null)
    {
        int n = Interlocked.Increment(ref _commands) + 1000;
        int start = OutputLength;
        _machine.SendInput(Encoding.ASCII.GetBytes($"echo :BEGIN$(({n}+0)):; {command}; echo :DONE$(({n}+0)):\n"));
        string begin = $":BEGIN{n}:\n";
        int b = WaitFor(begin.Replace("\n", "", StringComparison.Ordinal), timeout ?? TimeSpan.FromSeconds(120), start);
        int end = WaitFor($":DONE{n}:", timeout ?? TimeSpan.FromSeconds(120), b);
        string o = Output;
        int from = o.IndexOf('\n', b);
        string result = from >= 0 && from < end ? o[(from + 1)..end] : "";
        return result.Replace("\r", "", StringComparison.Ordinal);
    }

    /// <summary>Types a line without waiting for anything.</summary>
    public void Send(string line) => _machine.SendInput(Encoding.ASCII.GetBytes(line + "\n"));

    /// <summary>Waits until the machine stops by itself (power off, reset).</summary>
    public MachineExit WaitForExit(TimeSpan timeout)
    {
        if (!_thread.Join(timeout)) Assert.Fail($"Guest did not stop within {timeout.TotalSeconds:F0} s. Output:\n{Tail()}");
        return Exit;
    }

    public void Dispose()
    {
        _cts.Cancel();
        _thread.Join(TimeSpan.FromSeconds(10));
        _machine.Dispose();
        _cts.Dispose();
    }
}
