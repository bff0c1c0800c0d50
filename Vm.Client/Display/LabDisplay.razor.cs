using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Vm.Engine.Devices.Display;
using Vm.Engine.Devices.Virtio;

namespace Vm.Client.Display;

/// <summary>
/// Paints the screen (framebuffer or virtio-gpu scanout) on a canvas about 20 times a second while shown, sending only the bands
/// of rows that changed (<see cref="FrameTracker"/>), and turns the canvas's key and pointer events
/// into evdev events for the machine. Everything runs on the browser's one thread, between the
/// engine's slices, so the framebuffer is read while the guest is not running.
/// </summary>
public sealed partial class LabDisplay
{
    /// <summary>The screen of the machine now running: vesafb's framebuffer or virtio-gpu's scanout (a reset brings a new one).</summary>
    [Parameter] public IDisplaySurface? Screen { get; set; }
    [Parameter] public VirtioInput? Keyboard { get; set; }
    [Parameter] public VirtioInput? Tablet { get; set; }
    [Parameter] public bool Visible { get; set; }
    /// <summary>False while the machine is paused: input is not taken then.</summary>
    [Parameter] public bool AcceptInput { get; set; } = true;

    [Inject] private IJSRuntime Js { get; set; } = default!;

    private const int FrameMs = 50;
    private ElementReference _canvas;
    private IJSInProcessObjectReference? _js;
    private DotNetObjectReference<LabDisplay>? _self;
    private int _display;
    private FrameTracker? _tracker;
    private IDisplaySurface? _trackedScreen;
    private readonly HashSet<ushort> _keysDown = [];
    private int _buttons;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Frames painted and bands sent (shown in the page's data attributes for tests and diagnostics).</summary>
    public long Frames { get; private set; }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender) return;
        _js = (IJSInProcessObjectReference)await Js.InvokeAsync<IJSObjectReference>("import", "./js/lab-display.js");
        _self = DotNetObjectReference.Create(this);
        _display = _js.Invoke<int>("openDisplay", _canvas, _self);
        _ = PaintLoopAsync();
    }

    private async Task PaintLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(FrameMs, _stop.Token);
                if (Visible) Paint();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (JSDisconnectedException)
        {
        }
    }

    private void Paint()
    {
        if (_js is null || Screen is not { } fb) return;
        if (!ReferenceEquals(fb, _trackedScreen))
        {
            _trackedScreen = fb;
            _tracker = new FrameTracker(fb);
            _js.InvokeVoid("resizeDisplay", _display, fb.Mode.Width, fb.Mode.Height);
        }
        var bands = _tracker!.Update();
        int stride = fb.Mode.Stride;
        foreach (var band in bands)
            _js.InvokeVoid("drawBand", _display, band.Y, band.Height, _tracker.Rgba[(band.Y * stride)..((band.Y + band.Height) * stride)]);
        Frames++;
        if (bands.Count > 0) _js.InvokeVoid("markPainted", _display, Frames);
    }

    /// <summary>Gives the canvas the keyboard focus (the lab page calls this when the display is shown).</summary>
    public void Focus() => _js?.InvokeVoid("focusDisplay", _display);

    /// <summary>A key by its physical position (KeyboardEvent.code); keys the keyboard lacks are ignored.</summary>
    [JSInvokable]
    public void OnKey(string code, bool down)
    {
        if (!AcceptInput || Keyboard is null || DomKeyCodes.ToLinux(code) is not { } key) return;
        if (down) _keysDown.Add(key);
        else if (!_keysDown.Remove(key)) return;
        Keyboard.Key(key, down);
    }

    /// <summary>The pointer at a fraction (0..1) of the screen's width and height, with the buttons held (MouseEvent.buttons).</summary>
    [JSInvokable]
    public void OnPointer(double fx, double fy, int buttons)
    {
        if (!AcceptInput || Tablet is null) return;
        Tablet.MoveTo((int)Math.Round(Math.Clamp(fx, 0, 1) * VirtioInput.AbsMax), (int)Math.Round(Math.Clamp(fy, 0, 1) * VirtioInput.AbsMax));
        // MouseEvent.buttons: 1 left, 2 right, 4 middle.
        foreach (var (bit, button) in new[] { (1, VirtioInput.BtnLeft), (2, VirtioInput.BtnRight), (4, VirtioInput.BtnMiddle) })
        {
            if (((buttons ^ _buttons) & bit) != 0) Tablet.Button(button, (buttons & bit) != 0);
        }
        _buttons = buttons;
    }

    /// <summary>The canvas lost focus: keys still held would never see their key-up, so release them now.</summary>
    [JSInvokable]
    public void OnBlur()
    {
        foreach (var key in _keysDown) Keyboard?.Key(key, false);
        _keysDown.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_js is not null)
        {
            try { _js.InvokeVoid("closeDisplay", _display); await _js.DisposeAsync(); }
            catch (JSDisconnectedException) { }
        }
        _self?.Dispose();
        _stop.Dispose();
    }
}
