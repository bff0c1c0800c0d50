using System.Diagnostics;
using System.Text;
using Vm.Engine;

namespace Platform.Web.Features.Autograding;

/// <summary>The machine stopped by itself (power off, reset, triple fault) while the run waited for it.</summary>
public sealed class MachineStoppedException(MachineExit exit, string? reason)
    : Exception($"The machine stopped ({exit}{(reason is null ? "" : ": " + reason)}).")
{
    public MachineExit Exit { get; } = exit;
}

/// <summary>
/// Drives a <see cref="Machine"/> on the calling thread and reads its serial console. Running
/// in slices on one thread (no machine thread) keeps the run deterministic on the instruction
/// clock and lets a snapshot be taken between slices.
/// </summary>
public sealed class GuestConsole(Machine machine, int logChars)
{
    private const long SliceInstructions = 500_000;
    private readonly StringBuilder _screen = new();
    private readonly StringBuilder _log = new();
    private readonly Lock _gate = new();

    public Machine Machine => machine;

    /// <summary>Where <see cref="MachineConfig.SerialOut"/> must send the console's bytes.</summary>
    public void Receive(byte b)
    {
        lock (_gate)
        {
            var c = (char)b;
            _screen.Append(c);
            _log.Append(c);
            if (_log.Length > logChars + 4096)
                _log.Remove(0, _log.Length - logChars);
        }
    }

    /// <summary>Everything the console printed since the last <see cref="Forget"/>.</summary>
    public string Screen { get { lock (_gate) return _screen.ToString(); } }

    /// <summary>The last <c>logChars</c> characters of console output, with carriage returns removed.</summary>
    public string Log { get { lock (_gate) return (_log.Length > logChars ? _log.ToString(_log.Length - logChars, logChars) : _log.ToString()).Replace("\r", "", StringComparison.Ordinal); } }

    /// <summary>Drops the screen text before the next command (the log keeps it).</summary>
    public void Forget()
    {
        lock (_gate) _screen.Clear();
    }

    public void Type(string text) => machine.SendInput(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Runs the machine until <paramref name="found"/> accepts the screen, or the wall-clock
    /// <paramref name="limit"/> passes (false). Throws <see cref="MachineStoppedException"/> if the
    /// machine stops by itself, and OperationCanceledException on cancellation (a portal shutdown).
    /// </summary>
    public bool RunUntil(Func<string, bool> found, TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var seen = -1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int length;
            lock (_gate) length = _screen.Length;
            if (length != seen)
            {
                seen = length;
                if (found(Screen))
                    return true;
            }
            if (clock.Elapsed > limit)
                return false;
            var exit = machine.RunSlice(SliceInstructions);
            if (exit != MachineExit.Running)
            {
                if (found(Screen))
                    return true;
                throw new MachineStoppedException(exit, machine.StopReason);
            }
        }
    }
}
