using System.Diagnostics;
using System.Text;
using Vm.Engine;
using Vm.Engine.Devices;
using Vm.Engine.Jit.Wasm;

namespace Vm.Client.Engine;

/// <summary>
/// Vm.Engine's machine on the browser's one thread: it runs in slices (see <see cref="SliceTuner"/>)
/// and hands the thread back between them; guest RAM is native memory of the .NET runtime. The serial
/// console (COM1, ttyS0) is the terminal. The guest's `submit` command talks to the virtio-console
/// port <see cref="SubmitPortName"/>; COM2 (ttyS1) carries the same framing for guests without
/// virtio-console (the script picks whichever exists).
/// </summary>
public sealed class BrowserMachine : IDisposable
{
    /// <summary>What the guest's initramfs prints when its shell starts (scripts/guest/build-guest-images.sh).</summary>
    public const string ShellReadyMarker = "WEBVM-SHELL-READY";
    public const string SubmitPortName = "org.webvm.submit";
    /// <summary>The terminal's size as "ROWS COLS\n" lines; the guest's init applies them to the console tty (stty), which signals SIGWINCH.</summary>
    public const string TerminalSizePortName = "org.webvm.tty-size";
    /// <summary>
    /// One line per session, "time=EPOCH [home=/dev/vdX]": the guest's init waits for it before it mounts the
    /// home disk and starts the shell, which is where the portal snapshots the machine for resuming.
    /// </summary>
    public const string SessionPortName = "org.webvm.session";
    /// <summary>The home disk's device as the guest sees it (the only virtio-blk disk).</summary>
    public const string HomeDevice = "/dev/vda";

    private readonly Machine _machine;
    private readonly MemoryStream _console = new();
    private readonly Uart16550 _submitSerial;
    private readonly Vm.Engine.Devices.Virtio.ConsolePort? _submitPort;
    private readonly Queue<byte> _submitOut = new();
    private readonly Vm.Engine.Devices.Virtio.ConsolePort? _sizePort;
    private (int Rows, int Cols)? _size;
    private bool _sizeSent, _sizePortWasOpen;
    private readonly StringBuilder _tail = new();
    private bool _userlandSeen;
    private readonly Vm.Engine.Devices.Virtio.ConsolePort? _sessionPort;
    private bool _sessionSent;

    /// <param name="kernelElf">The same kernel decompressed (gzipped vmlinux), when the portal has it: see <see cref="KernelElfLoader"/>.</param>
    /// <param name="disk">The virtio-blk disk (/dev/vda), e.g. the student's home disk over IndexedDB.</param>
    /// <param name="jit">Where the wasm JIT runs its modules; null: the interpreter alone.</param>
    /// <param name="display">The framebuffer's mode when the lab image has a display (docs/display.md).</param>
    /// <param name="resumeFrom">A snapshot of this same machine taken at the session wait (the portal's
    /// <c>LabResumeSnapshots</c>): restored instead of booting. Throws <see cref="Vm.Engine.Snapshots.SnapshotException"/> when it does not fit.</param>
    /// <param name="clock">The wall clock in the browser; the portal boots the same machine on instruction time to snapshot it.</param>
    public BrowserMachine(byte[] kernel, byte[] initrd, string commandLine, int memoryMiB, byte[]? kernelElf = null, Vm.Engine.Disk.IBlockSource? disk = null, IWasmCodeHost? jit = null,
        Vm.Engine.Devices.Display.DisplayMode? display = null, byte[]? resumeFrom = null, ClockMode clock = ClockMode.WallClock)
    {
        _machine = new Machine(new MachineConfig
        {
            MemoryBytes = (uint)memoryMiB << 20,
            // Interactive: guest time follows the wall clock, and an idle guest gives the thread back.
            Clock = clock,
            ReturnWhenIdle = true,
            RtcStart = DateTime.UtcNow,
            SerialOut = b => _console.WriteByte(b),
            Disk = disk,
            ConsolePortNames = [SubmitPortName, TerminalSizePortName, SessionPortName],
            Display = display,
        });
        if (_machine.Block is { } block)
            block.IoFailed += e => DiskFailed?.Invoke(e);
        _submitSerial = new Uart16550(0x2F8, _machine.Pic.GetLine(3), b => _submitOut.Enqueue(b));
        _machine.Io.Register(_submitSerial);
        _submitPort = _machine.VirtioConsole.Port(SubmitPortName);
        if (_submitPort is not null)
        {
            _submitPort.HostOpen = true;
            _submitPort.Received += data => { foreach (var b in data.Span) _submitOut.Enqueue(b); };
        }
        if (jit is not null)
            Jit = WasmBackend.Install(_machine.Cpu, _machine.Memory, jit);
        _sizePort = _machine.VirtioConsole.Port(TerminalSizePortName);
        if (_sizePort is not null) _sizePort.HostOpen = true;
        _sessionPort = _machine.VirtioConsole.Port(SessionPortName);
        if (_sessionPort is not null) _sessionPort.HostOpen = true;
        if (resumeFrom is not null)
        {
            try
            {
                _machine.RestoreSnapshot(resumeFrom);
            }
            catch
            {
                _machine.Dispose();
                throw;
            }
            // The snapshot was taken in /init, waiting for the session line.
            _userlandSeen = true;
            Resumed = true;
            Stage = BootStage.Userland;
            return;
        }
        _machine.LoadLinux(kernel, initrd, commandLine);
        if (kernelElf is not null)
            KernelElfLoader.Load(_machine, kernelElf);
        Stage = BootStage.Kernel;
    }

    /// <summary>Started from a snapshot rather than booted.</summary>
    public bool Resumed { get; }

    /// <summary>Whether the guest attaches the home disk (<see cref="HomeDevice"/>) when its session starts.</summary>
    public bool MountHome { get; init; }

    /// <summary>The guest's init is waiting for its session line (the point where the portal snapshots the machine).</summary>
    public bool AwaitingSession => _sessionPort is { GuestOpen: true } && !_sessionSent;

    /// <summary>The underlying engine machine (the portal saves it as a snapshot at <see cref="AwaitingSession"/>).</summary>
    public Machine Engine => _machine;

    /// <summary>The display's framebuffer, keyboard and tablet (null without a display).</summary>
    public Vm.Engine.Devices.Display.Framebuffer? Framebuffer => _machine.Framebuffer;
    /// <summary>What the display shows: the framebuffer, or virtio-gpu's scanout (webvm.gpu=virtio).</summary>
    public Vm.Engine.Devices.Display.IDisplaySurface? Screen => _machine.Screen;
    public Vm.Engine.Devices.Virtio.VirtioInput? Keyboard => _machine.Keyboard;
    public Vm.Engine.Devices.Virtio.VirtioInput? Tablet => _machine.Tablet;

    public BootStage Stage { get; private set; }
    /// <summary>The wasm JIT, when on (its counters tell how much runs compiled).</summary>
    public WasmBackend? Jit { get; }
    /// <summary>A disk request failed (the guest got an I/O error): the page shows why.</summary>
    public event Action<Exception>? DiskFailed;
    public SliceTuner Tuner { get; } = new();
    public ulong Instructions => _machine.Cpu.InstructionCount;
    public string? StopReason => _machine.StopReason;

    /// <summary>Runs one slice; returns how long the guest wants to idle before the next (0 when busy).</summary>
    public TimeSpan RunSlice()
    {
        ulong before = _machine.Cpu.InstructionCount;
        long start = Stopwatch.GetTimestamp();
        var exit = _machine.RunSlice(Tuner.Instructions);
        _submitSerial.Poll();
        SendTerminalSizeIfDue();
        SendSessionIfDue();
        long ran = (long)(_machine.Cpu.InstructionCount - before);
        if (_machine.IdleNs == 0)
            Tuner.Observe(ran, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        // The first instruction at privilege level 3 is the kernel starting /init.
        if (!_userlandSeen && _machine.Cpu.S.Cpl == 3)
        {
            _userlandSeen = true;
            if (Stage == BootStage.Kernel) Stage = BootStage.Userland;
        }
        if (exit != MachineExit.Running)
            Stage = BootStage.Stopped;
        return TimeSpan.FromTicks((long)(_machine.IdleNs / 100));
    }

    /// <summary>The terminal's size, passed to the guest now or as soon as it opens the size port.</summary>
    public void SetTerminalSize(int cols, int rows)
    {
        if (cols <= 0 || rows <= 0 || _size == (rows, cols)) return;
        _size = (rows, cols);
        _sizeSent = false;
        SendTerminalSizeIfDue();
    }

    private void SendTerminalSizeIfDue()
    {
        if (_sizePort is null || _size is not { } size) return;
        bool open = _sizePort.GuestOpen;
        // A guest that (re)opens the port has missed what was sent before: send the size again.
        if (open && !_sizePortWasOpen) _sizeSent = false;
        _sizePortWasOpen = open;
        if (!open || _sizeSent) return;
        _sizePort.Send(Encoding.ASCII.GetBytes($"{size.Rows} {size.Cols}\n"));
        _sizeSent = true;
    }

    /// <summary>When the guest opens the session port: the time now (so a resumed guest's clock is today's) and the home disk.</summary>
    private void SendSessionIfDue()
    {
        if (!SessionEnabled || _sessionSent || _sessionPort is not { GuestOpen: true }) return;
        var line = $"time={DateTimeOffset.UtcNow.ToUnixTimeSeconds()}{(MountHome ? $" home={HomeDevice}" : "")}\n";
        _sessionPort.Send(Encoding.ASCII.GetBytes(line));
        _sessionSent = true;
    }

    /// <summary>False on the portal while it boots the machine to snapshot it at the session wait.</summary>
    public bool SessionEnabled { get; init; } = true;

    /// <summary>Console bytes the guest wrote since the last call.</summary>
    public byte[] TakeConsoleOutput()
    {
        if (_console.Length == 0) return [];
        var bytes = _console.ToArray();
        _console.SetLength(0);
        if (Stage is BootStage.Kernel or BootStage.Userland)
        {
            _tail.Append(Encoding.Latin1.GetString(bytes));
            if (_tail.ToString().Contains(ShellReadyMarker, StringComparison.Ordinal))
                Stage = BootStage.Ready;
            if (_tail.Length > 64) _tail.Remove(0, _tail.Length - 64);
        }
        return bytes;
    }

    public void SendConsoleInput(ReadOnlySpan<byte> data)
    {
        _machine.SendInput(data);
        _machine.Serial.Poll();
    }

    /// <summary>Bytes the guest sent on the submit port since the last call.</summary>
    public byte[] TakeSubmitOutput()
    {
        var bytes = _submitOut.ToArray();
        _submitOut.Clear();
        return bytes;
    }

    /// <summary>An answer for the guest's `submit`: on the virtio port when the guest has it open, else on COM2.</summary>
    public void SendSubmitInput(ReadOnlySpan<byte> data)
    {
        if (_submitPort is { GuestOpen: true })
        {
            _submitPort.Send(data);
            return;
        }
        _submitSerial.Receive(data);
        _submitSerial.Poll();
    }

    public void Dispose() => _machine.Dispose();
}
