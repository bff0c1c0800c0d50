using Vm.Engine.Boot;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Devices;
using Vm.Engine.Devices.Display;
using Vm.Engine.Devices.Pci;
using Vm.Engine.Devices.Virtio;
using Vm.Engine.Devices.Virtio.Gpu;
using Vm.Engine.Disk;
using Vm.Engine.Memory;

namespace Vm.Engine;

public sealed record MachineConfig
{
    public uint MemoryBytes { get; init; } = 256u << 20;
    public ClockMode Clock { get; init; } = ClockMode.Instructions;
    /// <summary>Where the serial console's output goes.</summary>
    public Action<byte>? SerialOut { get; init; }
    /// <summary>Wall-clock start of the RTC (fixed in deterministic runs).</summary>
    public DateTime RtcStart { get; init; } = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    /// <summary>
    /// Hosts that cannot block their thread (the browser's single thread) set this: an idle guest
    /// makes <see cref="Machine.RunSlice"/> return at once, with the time to wait in
    /// <see cref="Machine.IdleNs"/>, instead of sleeping inside it.
    /// </summary>
    public bool ReturnWhenIdle { get; init; }
    /// <summary>Named virtio-console ports after the console port 0 (the guest's /dev/vport0p1, ...).</summary>
    public IReadOnlyList<string> ConsolePortNames { get; init; } = ["org.webvm.submit"];
    /// <summary>virtio-rng's bytes: null = the host's CSPRNG; <see cref="VirtioRng.Seeded"/> for repeatable runs.</summary>
    public Action<Span<byte>>? EntropySource { get; init; }
    /// <summary>The virtio-blk disk (the guest's /dev/vda), or none.</summary>
    public IBlockSource? Disk { get; init; }
    /// <summary>Which JIT backend compiles hot guest code (see docs/jit.md).</summary>
    public Jit.JitMode Jit { get; init; } = Vm.Engine.Jit.JitMode.Off;
    /// <summary>
    /// Builds guest RAM and the CPU instead of the machine (the wasm JIT's server tests place RAM
    /// and the TLB inside a Wasmtime memory and install the wasm backend); null: native memory.
    /// </summary>
    internal Func<uint, IoBus, (PhysicalMemory Memory, X86Cpu Cpu)>? CreateMemoryAndCpu { get; init; }
    /// <summary>
    /// A screen in this mode, or none: a linear framebuffer (vesafb's /dev/fb0) or, when the mode's
    /// <see cref="DisplayMode.Device"/> says so, a virtio-gpu (KMS, /dev/dri/card0).
    /// </summary>
    public DisplayMode? Display { get; init; }
}

public enum MachineExit { Running, PoweredOff, Reset, TimedOut, Cancelled }

/// <summary>
/// A PC-class machine with no BIOS: RAM, the CPU, the 8259 pair, 8254, CMOS RTC, COM1 16550A,
/// i8042, a PCI bus with virtio-console, virtio-rng and (with a disk) virtio-blk, and Linux direct boot.
/// </summary>
public sealed partial class Machine : IDisposable
{
    public PhysicalMemory Memory { get; }
    public X86Cpu Cpu { get; }
    public IoBus Io { get; } = new();
    public Pic8259 Pic { get; } = new();
    public Pit8254 Pit { get; }
    public Uart16550 Serial { get; }
    public VirtualClock Clock { get; }
    public PciBus Pci { get; } = new();
    public VirtioConsole VirtioConsole { get; }
    public VirtioRng Rng { get; }
    /// <summary>The virtio-blk device when <see cref="MachineConfig.Disk"/> was given.</summary>
    public VirtioBlock? Block { get; }
    /// <summary>The framebuffer when <see cref="MachineConfig.Display"/> was given for vesafb.</summary>
    public Framebuffer? Framebuffer { get; }
    /// <summary>The virtio-gpu when <see cref="MachineConfig.Display"/> asked for it.</summary>
    public VirtioGpu? Gpu { get; }
    /// <summary>What the screen shows, whichever device drives it (null without a display).</summary>
    public IDisplaySurface? Screen => (IDisplaySurface?)Framebuffer ?? Gpu?.Screen;
    /// <summary>With a display: the virtio-input keyboard and tablet (pointer) the guest sees as /dev/input/event*.</summary>
    public VirtioInput? Keyboard { get; }
    public VirtioInput? Tablet { get; }
    private readonly IClocked[] _timers;
    private readonly IPolledDevice[] _polled;
    private readonly CmosRtc _rtc;
    private readonly I8042 _i8042;
    private readonly MiscPorts _miscPorts;
    private readonly AutoResetEvent _wake = new(false);
    private volatile bool _resetRequested;
    public string? StopReason { get; private set; }
    /// <summary>With <see cref="MachineConfig.ReturnWhenIdle"/>: how long the last slice's guest asked to idle (0 when busy).</summary>
    public ulong IdleNs { get; private set; }
    private readonly bool _returnWhenIdle;

    public Machine(MachineConfig config)
    {
        _returnWhenIdle = config.ReturnWhenIdle;
        uint physicalBytes = DisplayLayout.PhysicalBytes(config.MemoryBytes, config.Display);
        if (config.CreateMemoryAndCpu is { } create)
        {
            (Memory, Cpu) = create(physicalBytes, Io);
        }
        else
        {
            Memory = new PhysicalMemory(physicalBytes);
            Cpu = new X86Cpu(Memory, Io);
        }
        Cpu.Pic = Pic;
        if (config.Display is { Device: DisplayDevice.Vesafb }) Framebuffer = new Framebuffer(Memory, config.MemoryBytes, config.Display);
        // A CPU from the factory may come with its backend installed (wasm needs its host).
        if (config.Jit != Jit.JitMode.Off) Cpu.SetJitMode(config.Jit);
        Clock = new VirtualClock(config.Clock, () => Cpu.InstructionCount);
        Cpu.TscSource = () => Clock.NowNs;
        Pit = new Pit8254(Pic.GetLine(0), Clock);
        var sink = config.SerialOut ?? (_ => { });
        Serial = new Uart16550(0x3F8, Pic.GetLine(4), sink);
        Io.Register(Pic);
        Io.Register(Pit);
        Io.Register(Serial);
        Io.Register(_rtc = new CmosRtc(Clock, config.RtcStart, config.MemoryBytes));
        Io.Register(_i8042 = new I8042(Pic.GetLine(1), () => _resetRequested = true));
        Io.Register(_miscPorts = new MiscPorts(() => _resetRequested = true));
        _timers = [Pit];

        // PCI slots and PIC lines as firmware would have assigned them; Linux reads the IRQ from
        // each function's Interrupt Line register (no ACPI, MP table or $PIR here).
        var ram = new GuestRam(Memory);
        VirtioConsole = new VirtioConsole(ram, Pic.GetLine(10), 10, 0xC000, config.ConsolePortNames);
        Pci.Attach(1, VirtioConsole);
        Rng = new VirtioRng(ram, Pic.GetLine(9), 9, 0xC100, config.EntropySource);
        Pci.Attach(2, Rng);
        if (config.Disk != null)
        {
            Block = new VirtioBlock(ram, Pic.GetLine(11), 11, 0xC200, config.Disk);
            Pci.Attach(3, Block);
        }
        if (config.Display != null)
        {
            Keyboard = VirtioInput.Keyboard(ram, Pic.GetLine(14), 14, 0xD000);
            Pci.Attach(6, Keyboard);
            Tablet = VirtioInput.Tablet(ram, Pic.GetLine(15), 15, 0xD200);
            Pci.Attach(7, Tablet);
        }
        if (config.Display is { Device: DisplayDevice.VirtioGpu })
        {
            Gpu = new VirtioGpu(ram, Pic.GetLine(5), 5, 0xD400, config.Display);
            Pci.Attach(5, Gpu);
        }
        Io.Register(Pci);
        _polled = Block != null ? [VirtioConsole, Rng, Block] : [VirtioConsole, Rng];
        if (Keyboard != null && Tablet != null) _polled = [.. _polled, Keyboard, Tablet];
        foreach (var d in _polled) d.Wake = () => _wake.Set();
    }

    public LinuxBoot.Info LoadLinux(byte[] kernel, byte[]? initrd, string cmdline) =>
        LinuxBoot.Load(Memory, Cpu, kernel, initrd, cmdline, Framebuffer);

    /// <summary>Host side: input for the serial console.</summary>
    public void SendInput(ReadOnlySpan<byte> data)
    {
        Serial.Receive(data);
        _wake.Set();
    }

    /// <summary>Runs until the guest powers off or resets, the timeout passes, or cancellation.</summary>
    public MachineExit Run(TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (cancel.IsCancellationRequested) return MachineExit.Cancelled;
            if (timeout is { } t && started.Elapsed > t) return MachineExit.TimedOut;
            var exit = RunSlice(200_000);
            if (exit != MachineExit.Running) return exit;
        }
    }

    /// <summary>Runs up to about <paramref name="maxInstructions"/>, servicing timers and idling.</summary>
    public MachineExit RunSlice(long maxInstructions)
    {
        long left = maxInstructions;
        IdleNs = 0;
        while (left > 0)
        {
            if (_resetRequested) { StopReason = "reset requested"; return MachineExit.Reset; }
            if (Cpu.StopReason != null)
            {
                StopReason = Cpu.StopReason;
                return Cpu.StopReason.StartsWith("triple", StringComparison.Ordinal) ? MachineExit.Reset : MachineExit.PoweredOff;
            }
            ulong now = Clock.NowNs;
            ulong next = ulong.MaxValue;
            foreach (var d in _timers)
            {
                if (d.NextEventNs <= now) d.Tick(now);
                next = Math.Min(next, d.NextEventNs);
            }
            Serial.Poll();
            bool devicesBusy = false;
            foreach (var d in _polled)
            {
                d.Poll();
                devicesBusy |= d.Busy;
            }
            if (Cpu.Halted)
            {
                if (Pic.HasInterrupt && (Cpu.S.Eflags & Fl.IF) != 0)
                {
                    Cpu.Halted = false;
                }
                else if (devicesBusy)
                {
                    // The guest waits for host work (a disk chunk on its way): guest time stands
                    // still meanwhile, so a slow network never looks like a hung disk to the guest.
                    if (_returnWhenIdle) { IdleNs = 1_000_000; return MachineExit.Running; }
                    _wake.WaitOne(TimeSpan.FromMilliseconds(5));
                    left -= 1000;
                    continue;
                }
                else if (Clock.Mode == ClockMode.Instructions && next != ulong.MaxValue && Serial.PendingInput == 0)
                {
                    Clock.AdvanceTo(next);
                    continue;
                }
                else if (Serial.PendingInput == 0)
                {
                    ulong waitNs = next == ulong.MaxValue ? 50_000_000 : Math.Min(next - Math.Min(next, now), 50_000_000);
                    if (waitNs > 200_000 && _returnWhenIdle) { IdleNs = waitNs; return MachineExit.Running; }
                    if (waitNs > 200_000) _wake.WaitOne(TimeSpan.FromTicks((long)(waitNs / 100)));
                    left -= 1000;
                    continue;
                }
            }
            long budget = left;
            if (next != ulong.MaxValue && Clock.Mode == ClockMode.Instructions)
            {
                ulong until = (next - Math.Min(next, now)) / Clock.NsPerInstruction + 1;
                budget = (long)Math.Min((ulong)budget, until);
            }
            budget = Math.Min(budget, 50_000);
            ulong before = Cpu.InstructionCount;
            Cpu.Run(budget);
            long ran = (long)(Cpu.InstructionCount - before);
            left -= Math.Max(ran, 1);
        }
        return MachineExit.Running;
    }

    public void Dispose()
    {
        Cpu.Dispose();
        Memory.Dispose();
        _wake.Dispose();
    }
}
