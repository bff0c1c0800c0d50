using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Vm.Client.Disk;
using Vm.Client.Engine;
using Vm.Client.Submission;
using Vm.Engine.Disk;

namespace Vm.Client.Lab;

public sealed partial class LabMachine
{
    [Parameter, EditorRequired] public Guid AssignmentId { get; set; }
    /// <summary>The school's submission hub, relative to the page's base (the tenant's /t/SLUG/).</summary>
    [Parameter] public string HubPath { get; set; } = "hubs/submissions";

    [Inject] private HttpClient Http { get; set; } = default!;
    [Inject] private IJSRuntime Js { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private ElementReference _terminalHost;
    private IJSInProcessObjectReference? _js;
    private DotNetObjectReference<LabMachine>? _self;
    private int _terminal;
    private readonly CancellationTokenSource _stop = new();

    private BootStage _stage = BootStage.Download;
    private string _status = "Starting…";
    private string? _error;
    private string? _submission;
    private bool _submissionOk;
    private long _progressDone, _progressTotal;
    private bool _paused;

    private byte[]? _kernel, _initrd, _kernelElf;
    /// <summary>The resume snapshot, kept so Reset machine resumes it again; null when there is none or it failed.</summary>
    private byte[]? _snapshot;
    private string? _resumeNote;
    private bool _resumeOk;
    private LabDescription? _description;
    private BrowserMachine? _machine;
    private Vm.Client.Jit.BrowserWasmHost? _jit;
    private int _generation;
    private readonly SubmitPortProtocol _submitProtocol = new();
    private bool _submitting;

    /// <summary>Room for a course's worth of small files; only the blocks written take space in the browser.</summary>
    public const long HomeDiskBytes = 32L << 20;
    private BrowserStorage? _storage;
    private IndexedDbOverlayStore? _overlay;
    /// <summary>The machine's virtio-blk disk with the student's writes in IndexedDB: the lab image's root disk, or else a home disk.</summary>
    private CopyOnWriteSource? _disk;
    private bool HasHomeDisk => _disk is not null && _description?.DiskManifestHash is null;
    /// <summary>The lab image's root disk under the overlay, when it has one: how much of it has come over the network.</summary>
    private RemoteImageSource? _rootImage;
    private string? _diskError, _diskQuotaError;
    private bool _confirmingDiskReset;
    private string? _filesMessage;
    private bool _filesOk;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            if (_focusView) FocusShownView();
            return;
        }
        try
        {
            _js = (IJSInProcessObjectReference)await Js.InvokeAsync<IJSObjectReference>("import", "./js/lab.js");
            _self = DotNetObjectReference.Create(this);
            _terminal = _js.Invoke<int>("openTerminal", _terminalHost, _self);
            _jit = await Vm.Client.Jit.BrowserWasmHost.CreateAsync(Js);
            _description = await DescribeAsync();
            await OpenDiskAsync();
            await DownloadResumeSnapshotAsync();
            await StartMachineAsync();
        }
        catch (LabException e)
        {
            Fail(e.Message);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fail($"The lab machine could not start: {e.Message}");
        }
    }

    /// <summary>The machine's description; while the portal builds what the lab needs, its status, asked again until it is ready.</summary>
    private async Task<LabDescription> DescribeAsync()
    {
        SetStatus("Asking the portal for the machine…");
        while (true)
        {
            try
            {
                return await new BootDownloader(Http).DescribeAsync(AssignmentId, _stop.Token);
            }
            catch (LabNotReadyException e)
            {
                SetStatus(e.Message);
                await Task.Delay(e.RetryAfter, _stop.Token);
            }
        }
    }

    /// <summary>
    /// The kernel and initramfs, fetched the first time the machine boots: a resume needs neither (the
    /// snapshot holds the machine's memory), so a student who resumes never waits for them.
    /// </summary>
    private async Task DownloadBootFilesAsync()
    {
        if (_kernel is not null) return;
        var downloader = new BootDownloader(Http);
        var d = _description!;
        _progressTotal = d.Kernel.Bytes + d.Initrd.Bytes + (d.KernelElf?.Bytes ?? 0);
        var watch = Stopwatch.StartNew();
        long lastPaint = 0;
        void Progress(long bytes)
        {
            _progressDone = bytes;
            if (watch.ElapsedMilliseconds - lastPaint < 100) return;
            lastPaint = watch.ElapsedMilliseconds;
            SetStatus($"Downloading the machine: {_progressDone / 1024} of {_progressTotal / 1024} KiB");
        }
        var kernel = await downloader.DownloadAsync(d.Kernel, Progress, _stop.Token);
        _initrd = await downloader.DownloadAsync(d.Initrd, b => Progress(d.Kernel.Bytes + b), _stop.Token);
        if (d.KernelElf is { } elf)
            _kernelElf = await downloader.DownloadAsync(elf, b => Progress(d.Kernel.Bytes + d.Initrd.Bytes + b), _stop.Token);
        _kernel = kernel; // last: it marks the set as complete
        Console.WriteLine($"webvm: boot files in {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// The lab image's snapshot of this machine, taken by the portal where the guest waits for its session:
    /// resuming it skips the boot. Any trouble costs only time: the page says so and boots.
    /// </summary>
    private async Task DownloadResumeSnapshotAsync()
    {
        if (_description!.Resume is not { } link) return;
        var watch = Stopwatch.StartNew();
        long lastPaint = 0;
        _progressDone = 0;
        _progressTotal = link.Size;
        try
        {
            var cache = _storage is null ? null : new IndexedDbChunkCache(_storage);
            _snapshot = await new BootDownloader(Http).DownloadSnapshotAsync(link, cache, bytes =>
            {
                _progressDone = bytes;
                if (watch.ElapsedMilliseconds - lastPaint < 100) return;
                lastPaint = watch.ElapsedMilliseconds;
                SetStatus($"Downloading the saved machine: {bytes >> 20} of {link.Size >> 20} MiB");
            }, _stop.Token);
            Console.WriteLine($"webvm: resume snapshot in {watch.ElapsedMilliseconds} ms");
        }
        catch (Exception e) when (e is LabException or HttpRequestException)
        {
            CannotResume(e.Message);
        }
    }

    private void CannotResume(string why)
    {
        _snapshot = null;
        _resumeNote = $"The lab's saved machine could not be used: {why.TrimEnd('.')}. It starts from scratch instead, which takes longer.";
        _resumeOk = false;
        Console.WriteLine($"webvm: cannot resume: {why}");
    }

    /// <summary>
    /// The student's disk, with their writes in IndexedDB under the overlay key the portal derived for this
    /// student and assignment (and, for a root disk, its image), so a reload or a visit next week finds them.
    /// An image with a root disk streams it: chunks fetched from the portal when the guest first reads
    /// them, checked against their hashes and kept in the browser's chunk cache, which every lab shares.
    /// An image without one gets a blank home disk, which the guest's init formats once and mounts at
    /// /root (named in the session line, see BrowserMachine.MountHome).
    /// </summary>
    private async Task OpenDiskAsync()
    {
        var d = _description!;
        SetStatus("Opening your saved files…");
        _storage = await BrowserStorage.OpenAsync(Js);
        _overlay = await IndexedDbOverlayStore.OpenAsync(_storage, d.OverlayKey, cancel: _stop.Token);
        _overlay.QuotaExceeded += e => { _diskQuotaError = e.Message; };
        if (d.DiskManifestHash is { } hash)
        {
            SetStatus("Fetching the lab's disk description…");
            var manifest = await new BootDownloader(Http).DescribeDiskAsync(d.DiskManifestUrl ?? throw new LabException("The portal named the lab's disk but not where to find it."), hash, _stop.Token);
            var chunks = new IndexedDbChunkCache(_storage, e => Console.WriteLine($"webvm: the chunk cache is full, chunks are fetched again: {e.Message}"));
            _rootImage = new RemoteImageSource(manifest, new HttpChunkFetcher(Http, new Uri(Http.BaseAddress!, "chunks/")), chunks);
            _disk = new CopyOnWriteSource(_rootImage, _overlay);
            Console.WriteLine($"webvm: root disk {manifest.Size >> 20} MiB in {manifest.ChunkCount} chunks, {_overlay.Count} saved block(s)");
            return;
        }
        _disk = new CopyOnWriteSource(new BlankDisk(HomeDiskBytes), _overlay);
        Console.WriteLine($"webvm: home disk with {_overlay.Count} saved block(s)");
    }

    /// <summary>Resumes the snapshot if there is one that works, else boots (fetching the boot files first if need be).</summary>
    private async Task StartMachineAsync()
    {
        var d = _description!;
        _generation++; // the old machine's loop stops before the machine goes away
        _machine?.Dispose();
        // The home disk is named in the session line (BrowserMachine.MountHome), not the command line: the
        // command line is in the resume snapshot, which must be the same for every student.
        var display = Vm.Engine.Devices.Display.DisplayMode.FromKernelCommandLine(d.KernelCommandLine);
        _machine = null;
        if (_snapshot is not null)
        {
            try
            {
                var watch = Stopwatch.StartNew();
                _machine = new BrowserMachine([], [], d.KernelCommandLine, d.MemoryMiB, disk: _disk, jit: _jit, display: display, resumeFrom: _snapshot)
                    { MountHome = HasHomeDisk };
                Console.WriteLine($"webvm: restored the resume snapshot in {watch.ElapsedMilliseconds} ms");
                _resumeNote = "Resumed the lab's saved machine: no boot needed.";
                _resumeOk = true;
            }
            catch (Vm.Engine.Snapshots.SnapshotException e)
            {
                CannotResume(e.Message);
            }
        }
        if (_machine is null)
        {
            await DownloadBootFilesAsync();
            _machine = new BrowserMachine(_kernel!, _initrd!, d.KernelCommandLine, d.MemoryMiB, _kernelElf, _disk, _jit, display)
                { MountHome = HasHomeDisk };
        }
        _machine.DiskFailed += OnDiskFailed;
        _machine.SetTerminalSize(Cols, Rows);
        _diskError = null;
        _paused = false;
        _stage = _machine.Stage;
        _js!.InvokeVoid("focusTerminal", _terminal);
        _ = RunAsync(++_generation);
    }

    /// <summary>The engine's loop: a slice, then the browser's turn (paint, keys, network), again.</summary>
    private async Task RunAsync(int generation)
    {
        var machine = _machine!;
        var started = Stopwatch.StartNew();
        long lastPaint = 0, lastLog = 0;
        try
        {
            while (!_stop.IsCancellationRequested && generation == _generation)
            {
                if (_paused) { await _js!.InvokeVoidAsync("sleep", 50); continue; }
                var idle = machine.RunSlice();
                var output = machine.TakeConsoleOutput();
                if (output.Length > 0) _js!.InvokeVoid("writeTerminal", _terminal, output);
                var submit = machine.TakeSubmitOutput();
                if (submit.Length > 0) OnSubmitPort(machine, submit);

                if (machine.Stage != _stage)
                {
                    _stage = machine.Stage;
                    if (_stage == BootStage.Ready)
                        Console.WriteLine($"webvm: prompt after {started.Elapsed.TotalSeconds:F1} s, {machine.Instructions / 1_000_000} M instructions");
                    lastPaint = -1000;
                }
                if (started.ElapsedMilliseconds - lastPaint >= 500)
                {
                    lastPaint = started.ElapsedMilliseconds;
                    SetStatus(StatusText(machine, started.Elapsed));
                    // The browser's console keeps a trace of the boot (the end-to-end tests save it).
                    if (started.ElapsedMilliseconds - lastLog >= 10_000 && _stage != BootStage.Ready)
                    {
                        lastLog = started.ElapsedMilliseconds;
                        Console.WriteLine($"webvm: {_status}");
                    }
                }
                if (_stage == BootStage.Stopped)
                {
                    SetStatus($"The machine stopped ({machine.StopReason ?? "powered off"}). Reset it to start again.");
                    return;
                }
                if (idle > TimeSpan.Zero)
                    await _js!.InvokeVoidAsync("sleep", Math.Clamp((int)idle.TotalMilliseconds, 1, 20));
                else
                    await _js!.InvokeVoidAsync("nextTick");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not JSDisconnectedException)
        {
            Fail($"The machine failed: {e.Message}");
        }
    }

    private string StatusText(BrowserMachine m, TimeSpan elapsed)
    {
        var speed = $"{m.Tuner.InstructionsPerSecond / 1e6:F0} M instructions/s";
        var text = m.Stage switch
        {
            BootStage.Kernel => $"Starting Linux: {elapsed.TotalSeconds:F0} s, {m.Instructions / 1_000_000:N0} M instructions ({speed})",
            BootStage.Userland when m.Resumed => $"Resuming: {elapsed.TotalSeconds:F1} s",
            BootStage.Userland => $"Starting the shell: {elapsed.TotalSeconds:F0} s ({speed})",
            BootStage.Ready => $"Running · {speed} when busy",
            _ => "",
        };
        // A streamed disk is why a first command can be slow: say how much of it has come so far.
        return _rootImage is { } disk && text.Length > 0
            ? $"{text} · disk: {(long)disk.FetchedChunks * disk.Manifest.ChunkSize >> 20} of {disk.Size >> 20} MiB fetched"
            : text;
    }

    private void OnSubmitPort(BrowserMachine machine, byte[] bytes)
    {
        IEnumerable<SubmitRequest> requests;
        try
        {
            requests = _submitProtocol.Feed(bytes).ToList();
        }
        catch (SubmitProtocolException e)
        {
            machine.SendSubmitInput(SubmitPortProtocol.Error(e.Message));
            ShowSubmission(false, e.Message);
            return;
        }
        foreach (var request in requests)
            _ = SubmitAsync(machine, request);
    }

    private async Task SubmitAsync(BrowserMachine machine, SubmitRequest request)
    {
        if (_submitting)
        {
            machine.SendSubmitInput(SubmitPortProtocol.Error("another submission is still on its way; wait for it"));
            return;
        }
        if (_description?.CanSubmit != true)
        {
            machine.SendSubmitInput(SubmitPortProtocol.Error("you cannot submit to this assignment"));
            return;
        }
        _submitting = true;
        var names = string.Join(", ", request.Files.Select(f => f.Path));
        ShowSubmission(true, $"Submitting {names}…");
        try
        {
            var hub = new Uri(new Uri(Navigation.BaseUri), HubPath);
            var receipt = await new SubmissionUploader(hub, AssignmentId).UploadAsync(request,
                text => { machine.SendSubmitInput(SubmitPortProtocol.Progress(text)); ShowSubmission(true, $"Submitting {names}: {text}"); },
                _stop.Token);
            var message = $"version {receipt.Version} received: {receipt.FileCount} file(s), {receipt.TotalBytes} bytes{(receipt.IsLate ? " (late)" : "")}";
            machine.SendSubmitInput(SubmitPortProtocol.Ok(message));
            ShowSubmission(true, $"Submitted {names}: {message}.");
        }
        catch (SubmissionRefusedException e)
        {
            machine.SendSubmitInput(SubmitPortProtocol.Error(e.Message));
            ShowSubmission(false, $"Submission refused: {e.Message}");
        }
        finally
        {
            _submitting = false;
        }
    }

    private void ShowSubmission(bool ok, string text)
    {
        _submissionOk = ok;
        _submission = text;
        StateHasChanged();
    }

    [JSInvokable]
    public void OnTerminalInput(string data)
    {
        if (_machine is null || _paused) return;
        _machine.SendConsoleInput(Encoding.UTF8.GetBytes(data));
    }

    /// <summary>
    /// The serial console cannot tell the guest its size, so the size travels on a virtio-console port
    /// (<see cref="BrowserMachine.TerminalSizePortName"/>) and the guest's init sets it on the console tty.
    /// </summary>
    [JSInvokable]
    public void OnTerminalResize(int cols, int rows)
    {
        Cols = cols;
        Rows = rows;
        _machine?.SetTerminalSize(cols, rows);
        StateHasChanged();
    }

    public int Cols { get; private set; }
    public int Rows { get; private set; }

    // The display (Vm.Client/Display): a second view of the machine when its lab image has one.
    private Display.LabDisplay? _display;
    private bool _showDisplay, _focusView;

    /// <summary>Shows the terminal or the display; the keyboard goes to whichever is shown (after it renders).</summary>
    private void ShowView(bool display)
    {
        _showDisplay = display;
        _focusView = true;
    }

    private void FocusShownView()
    {
        _focusView = false;
        if (_showDisplay) _display?.Focus();
        else _js?.InvokeVoid("focusTerminal", _terminal);
    }

    private void TogglePause()
    {
        _paused = !_paused;
        SetStatus(_paused ? "Paused: the machine is stopped where it was; Resume continues it." : "Resumed.");
        if (!_paused) _js?.InvokeVoid("focusTerminal", _terminal);
    }

    private async Task ResetMachineAsync()
    {
        if (_description is null) return;
        _js!.InvokeVoid("writeTerminal", _terminal, Encoding.ASCII.GetBytes("\r\n\x1b[33m[machine reset]\x1b[0m\r\n"));
        _error = null;
        await RestartAsync();
    }

    /// <summary>Reset machine and Reset disk: a new machine; a boot that cannot fetch its files says why.</summary>
    private async Task RestartAsync()
    {
        try
        {
            await StartMachineAsync();
        }
        catch (LabException e)
        {
            Fail(e.Message);
        }
        catch (HttpRequestException e)
        {
            Fail($"The lab machine could not start: {e.Message}");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void OnDiskFailed(Exception e)
    {
        // The guest saw an I/O error; the student must see why (above all a full browser store).
        _diskError = _diskQuotaError ?? (e is DiskIoException
            ? $"Reading the lab's disk failed: {e.Message} The machine saw an I/O error; check your connection, then Reset machine."
            : $"Saving to your lab disk failed: {e.Message}");
        _diskQuotaError = null;
        Console.WriteLine($"webvm: disk error: {e.Message}");
        StateHasChanged();
    }

    /// <summary>The student's files as a tar archive (see <see cref="HomeFilesArchive"/>): the home disk, or a root disk's /root.</summary>
    private async Task DownloadFilesAsync()
    {
        if (_disk is null) return;
        _filesOk = true;
        _filesMessage = "Collecting your files…";
        StateHasChanged();
        try
        {
            var archive = await HomeFilesArchive.BuildAsync(_disk, HasHomeDisk ? "" : "root", _stop.Token);
            if (archive is not { } a)
            {
                _filesMessage = "You have not changed any files in this lab yet (your home folder /root is empty): nothing to download.";
            }
            else
            {
                var name = $"{FileNameOf(_description!.Label)}-files.tar";
                _js!.InvokeVoid("download", name, a.Archive);
                _filesMessage = $"Downloaded {name}: {a.Files} file(s) from your home folder /root, {a.Archive.Length / 1024.0:F0} KiB.";
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _filesOk = false;
            _filesMessage = $"Your files could not be collected: {e.Message}";
        }
        StateHasChanged();
    }

    private static string FileNameOf(string label)
    {
        var name = new string(label.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray()).Trim('-');
        return name.Length == 0 ? "lab" : name;
    }

    private void AskDiskReset()
    {
        _confirmingDiskReset = true;
        StateHasChanged();
    }

    private void CancelDiskReset()
    {
        _confirmingDiskReset = false;
        _js?.InvokeVoid("focusTerminal", _terminal);
    }

    /// <summary>
    /// Forgets this lab's saved changes (only this student's and assignment's overlay) and restarts the
    /// machine on the blank home disk. The machine stops first and the disk's in-flight request
    /// finishes, so nothing writes into the overlay after it was cleared.
    /// </summary>
    private async Task ResetDiskAsync()
    {
        _confirmingDiskReset = false;
        if (_overlay is null || _disk is null) return;
        _generation++;
        SetStatus("Resetting your disk…");
        try
        {
            await _disk.FlushAsync(_stop.Token);
            await _overlay.ClearAsync(_stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail($"Your disk could not be reset: {e.Message}");
            return;
        }
        _js!.InvokeVoid("writeTerminal", _terminal, Encoding.ASCII.GetBytes("\r\n\x1b[33m[disk reset to the image; restarting]\x1b[0m\r\n"));
        _error = null;
        await RestartAsync();
    }

    private void SetStatus(string text)
    {
        _status = text;
        StateHasChanged();
    }

    private void Fail(string message)
    {
        _stage = BootStage.Failed;
        _error = message;
        _status = "";
        StateHasChanged();
    }

    private string StageClass(BootStage s) =>
        _stage == BootStage.Failed ? (s == BootStage.Download ? "failed" : "") :
        s < _stage || _stage == BootStage.Stopped ? "done" : s == _stage ? "current" : "";

    private static string StageName(BootStage s) => s switch
    {
        BootStage.Download => "Download",
        BootStage.Kernel => "Kernel",
        BootStage.Userland => "Userland",
        _ => "Prompt",
    };

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _generation++;
        _machine?.Dispose();
        if (_js is not null)
        {
            try { _js.InvokeVoid("closeTerminal", _terminal); await _js.DisposeAsync(); }
            catch (JSDisconnectedException) { }
        }
        _self?.Dispose();
        _stop.Dispose();
    }
}
