using System.Globalization;
using Vm.Engine;
using Vm.Engine.Boot;
using Vm.Engine.Devices;

// Headless host for Vm.Engine: the serial console on stdin/stdout, like qemu-system-i386 -nographic.
return Cli.Run(args);

internal static class Cli
{
    private const string Usage = "usage: Vm.Cli --kernel FILE [--initrd FILE] [--append \"CMDLINE\"] [--memory 256M] [--disk FILE] [--timeout SECONDS]\n" +
        "  disk: --disk RAW-IMAGE | MANIFEST.json | http://.../manifest.json  [--overlay FILE] [--chunks DIR|URL] [--chunk-cache DIR] [--read-ahead N|always:N]\n" +
        "  --until TEXT   stop (exit 0) when the console prints TEXT\n" +
        "  --console ttyS0|hvc0   which guest console stdin/stdout attach to (default ttyS0; hvc0 = virtio-console port 0)\n" +
        "  --jit off|il   compile hot guest code (default: the engine's default, see docs/jit.md)";

    public static int Run(string[] args)
    {
        string? kernel = null, initrd = null, until = null;
        bool hvc = false;
        var disk = new DiskOptions();
        string append = "console=ttyS0";
        uint memory = 256u << 20;
        double? timeout = null;
        Vm.Engine.Jit.JitMode? jit = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--kernel": kernel = Next(); break;
                    case "--initrd": initrd = Next(); break;
                    case "--append": append = Next(); break;
                    case "--memory": memory = ParseSize(Next()); break;
                    case "--disk": disk.Disk = Next(); break;
                    case "--overlay": disk.Overlay = Next(); break;
                    case "--chunks": disk.Chunks = Next(); break;
                    case "--chunk-cache": disk.ChunkCache = Next(); break;
                    case "--read-ahead": disk.ReadAhead = Next(); break;
                    case "--until": until = Next(); break;
                    case "--console":
                        string which = Next();
                        hvc = which == "hvc0" ? true : which == "ttyS0" ? false : throw new ArgumentException("--console is ttyS0 or hvc0");
                        break;
                    case "--jit":
                        string mode = Next();
                        jit = mode == "off" ? Vm.Engine.Jit.JitMode.Off : mode == "il" ? Vm.Engine.Jit.JitMode.Il : throw new ArgumentException("--jit is off or il");
                        break;
                    case "--timeout": timeout = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "-h": case "--help": Console.WriteLine(Usage); return 0;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }
            if (kernel == null) throw new ArgumentException("--kernel is required");
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"Vm.Cli: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        Vm.Engine.Disk.IBlockSource? diskSource;
        try
        {
            diskSource = disk.OpenAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or FormatException
                                      or System.Text.Json.JsonException or InvalidDataException or ArgumentException or TaskCanceledException)
        {
            Console.Error.WriteLine($"Vm.Cli: cannot open the disk: {e.Message}");
            return 3;
        }

        var stdout = Console.OpenStandardOutput();
        var outLock = new object();
        var buffer = new List<byte>(4096);
        var tail = new System.Text.StringBuilder();
        using var untilSeen = new CancellationTokenSource();
        var clockMode = Environment.GetEnvironmentVariable("WEBVM_CLOCK") == "wall" ? ClockMode.WallClock : ClockMode.Instructions;
        using var machine = new Machine(new MachineConfig
        {
            MemoryBytes = memory,
            Clock = clockMode,
            SerialOut = b => Output(b),
            Disk = diskSource,
            Jit = jit ?? new MachineConfig().Jit,
        });
        if (int.TryParse(Environment.GetEnvironmentVariable("WEBVM_JIT_THRESHOLD"), out int threshold) && threshold > 0)
        {
            machine.Cpu.JitThreshold = threshold;
        }
        if (int.TryParse(Environment.GetEnvironmentVariable("WEBVM_JIT_REGION"), out int regionBlocks) && regionBlocks > 0)
        {
            machine.Cpu.JitRegionLimit = regionBlocks;
        }
        if (Environment.GetEnvironmentVariable("WEBVM_JIT_REGLOCALS") is { } regLocals) machine.Cpu.JitRegisterLocals = regLocals == "1";
        if (Environment.GetEnvironmentVariable("WEBVM_JIT_PROFILE") == "1") machine.Cpu.JitProfile = new Vm.Engine.Jit.JitProfile();
        if (hvc)
        {
            machine.VirtioConsole.Console.Received += data =>
            {
                foreach (var b in data.Span) Output(b);
            };
        }
        void Output(byte b)
        {
            lock (outLock)
            {
                buffer.Add(b);
                if (until == null) return;
                tail.Append((char)b);
                if (tail.Length > 4 * until.Length) tail.Remove(0, tail.Length - 2 * until.Length);
                if (tail.ToString().Contains(until, StringComparison.Ordinal)) untilSeen.Cancel();
            }
        }
        if (machine.Block != null)
        {
            // Integrity failures reach the guest as I/O errors; the person at the console hears why.
            machine.Block.IoFailed += e => Console.Error.WriteLine($"Vm.Cli: disk I/O error given to the guest: {e.Message}");
        }
        try
        {
            byte[] k = File.ReadAllBytes(kernel);
            byte[]? rd = initrd != null ? File.ReadAllBytes(initrd) : null;
            machine.LoadLinux(k, rd, append);
        }
        catch (Exception e) when (e is BootImageException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine($"Vm.Cli: cannot boot: {e.Message}");
            return 3;
        }

        using var cts = new CancellationTokenSource();
        var flusher = new Thread(() =>
        {
            while (!cts.IsCancellationRequested)
            {
                Thread.Sleep(20);
                Flush();
            }
        }) { IsBackground = true };
        flusher.Start();
        var reader = new Thread(() =>
        {
            var stdin = Console.OpenStandardInput();
            var buf = new byte[256];
            while (true)
            {
                int n;
                try { n = stdin.Read(buf, 0, buf.Length); } catch (IOException) { break; }
                if (n <= 0) break;
                if (hvc) machine.VirtioConsole.Console.Send(buf.AsSpan(0, n));
                else machine.SendInput(buf.AsSpan(0, n));
            }
        }) { IsBackground = true };
        reader.Start();

        if (Environment.GetEnvironmentVariable("WEBVM_TRACE") == "1")
        {
            new Thread(() =>
            {
                while (!cts.IsCancellationRequested)
                {
                    Thread.Sleep(1000);
                    var st = machine.Cpu.S;
                    Console.Error.WriteLine($"[trace] eip={st.Eip:X8} cs={st.Seg[1].Selector:X} cpl={st.Cpl} eflags={machine.Cpu.GetEflags():X} eax={st.R[0]:X} ecx={st.R[1]:X} edx={st.R[2]:X} ebx={st.R[3]:X} esp={st.R[4]:X} ebp={st.R[5]:X} esi={st.R[6]:X} edi={st.R[7]:X} halted={machine.Cpu.Halted} icount={machine.Cpu.InstructionCount} faults={machine.Cpu.FaultCount} last={machine.Cpu.LastFaultVector}");
                    var code = machine.Cpu.PeekLinear(st.Seg[1].Base + st.Eip - 16, 32);
                    if (code != null) Console.Error.WriteLine("[trace] code(eip-16): " + Convert.ToHexString(code));
                }
            }) { IsBackground = true }.Start();
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, untilSeen.Token);
        var exit = machine.Run(timeout is { } t ? TimeSpan.FromSeconds(t) : null, stop.Token);
        cts.Cancel();
        Flush();
        if (Environment.GetEnvironmentVariable("WEBVM_STATS") == "1")
        {
            Console.Error.WriteLine($"Vm.Cli: {exit} after {sw.Elapsed.TotalSeconds:F2} s, {machine.Cpu.InstructionCount} instructions, " +
                $"{machine.Cpu.InstructionCount / Math.Max(sw.Elapsed.TotalSeconds, 1e-9) / 1e6:F1} MIPS, blocks decoded {machine.Cpu.BlocksDecoded}, faults {machine.Cpu.FaultCount}, code page invalidations {machine.Cpu.CodeInvalidations}; {machine.StopReason}");
            if (disk.Stats() is { } ds) Console.Error.WriteLine($"Vm.Cli: {ds}");
            if (machine.Cpu.JitMode != Vm.Engine.Jit.JitMode.Off)
            {
                var j = machine.Cpu.JitCounters;
                Console.Error.WriteLine($"Vm.Cli: jit {machine.Cpu.JitMode}: blocks compiled {j.BlocksCompiled} (native ops {j.NativeOps}, handler calls {j.HandlerOps}), " +
                    $"instructions in compiled code {100.0 * j.CompiledInstructions / Math.Max(1, machine.Cpu.InstructionCount):F1}%, runs {j.CompiledRuns} (chained {j.Chained}, from the site's record {j.ChainSiteHits}), invalidated {j.Invalidations}, evicted {j.Evictions}, failed {j.CompileFailures}");
                if (machine.Cpu.JitProfile is { } profile)
                {
                    foreach (var line in profile.Top(25)) Console.Error.WriteLine($"Vm.Cli: jit profile {line}");
                }
            }
            if (machine.Block is { } blk) Console.Error.WriteLine($"Vm.Cli: virtio-blk status {blk.Status} isr {blk.Isr} requests {blk.Requests} read {blk.BytesRead} written {blk.BytesWritten} errors {blk.IoErrors} busy {blk.Busy} {blk.LastError}");
        }
        if (diskSource != null)
        {
            try { diskSource.FlushAsync().AsTask().GetAwaiter().GetResult(); } catch (IOException e) { Console.Error.WriteLine($"Vm.Cli: disk flush failed: {e.Message}"); }
            disk.DisposeAsync(diskSource).AsTask().GetAwaiter().GetResult();
        }
        if (untilSeen.IsCancellationRequested)
        {
            Console.Error.WriteLine($"Vm.Cli: saw \"{until}\" after {sw.Elapsed.TotalSeconds:F2} s");
            return 0;
        }
        switch (exit)
        {
            case MachineExit.TimedOut:
                Console.Error.WriteLine($"Vm.Cli: timeout after {timeout} s (EIP=0x{machine.Cpu.S.Eip:X8})");
                return 124;
            default:
                return 0;
        }

        void Flush()
        {
            byte[] data;
            lock (outLock)
            {
                if (buffer.Count == 0) return;
                data = buffer.ToArray();
                buffer.Clear();
            }
            stdout.Write(data);
            stdout.Flush();
        }
    }

    private static uint ParseSize(string s)
    {
        s = s.Trim();
        ulong mult = 1;
        char last = char.ToUpperInvariant(s[^1]);
        if (last is 'K' or 'M' or 'G')
        {
            mult = last switch { 'K' => 1UL << 10, 'M' => 1UL << 20, _ => 1UL << 30 };
            s = s[..^1];
        }
        else
        {
            mult = 1UL << 20; // a bare number means MiB, as in QEMU
        }
        ulong v = ulong.Parse(s, CultureInfo.InvariantCulture) * mult;
        if (v < (16UL << 20) || v > 0xF0000000UL) throw new ArgumentException("--memory must be between 16M and 3840M");
        return (uint)v;
    }
}
