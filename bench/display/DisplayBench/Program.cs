// Per-frame host cost of the lab display at 1024x768x32, in CPU microseconds per frame, for three
// guest behaviours: an idle screen, one text line changing (typing), every band changing
// (scrolling, a new picture). Ours: FrameTracker (compare 16-row bands with the last frame, convert the changed
// ones to RGBA). Reference, in the same run: converting and sending the whole frame every frame,
// what a display without change detection does. Also the bytes handed to the canvas per frame.
// Then the same for virtio-gpu (device commands + viewer) against vesafb's viewer (see below).
using System.Diagnostics;
using Vm.Engine;
using Vm.Engine.Devices.Display;

const int Frames = 400;
using var machine = new Machine(new MachineConfig { MemoryBytes = 64u << 20, Display = DisplayMode.Default });
var fb = machine.Framebuffer!;
Span<byte> Pixels() => machine.Memory.Span(fb.Base, fb.Mode.FrameBytes);
var random = new Random(7);
random.NextBytes(Pixels()); // a busy picture, so compares cannot stop early on zeros
var tracker = new FrameTracker(fb);
tracker.Update();
var fullRgba = new byte[fb.Mode.FrameBytes];

foreach (var (name, change) in new (string, Action<int>)[]
{
    ("idle", _ => { }),
    ("typing", f => Pixels()[(700 * fb.Mode.Stride) + (f % 1024) * 4] ^= 0xFF),
    ("full-change", _ => { var p = Pixels(); for (int i = 0; i < p.Length; i += 64) p[i] ^= 0x5A; }),
})
{
    // Warm up both paths (tiered JIT), then measure CPU time of each over the same changes.
    for (int f = 0; f < 50; f++) { change(f); tracker.Update(); FullFrame(Pixels(), fullRgba); }
    long oursBytes = 0;
    var ours = CpuMicros(() =>
    {
        for (int f = 0; f < Frames; f++)
        {
            change(f);
            foreach (var b in tracker.Update()) oursBytes += (long)b.Height * fb.Mode.Stride;
        }
    });
    var reference = CpuMicros(() =>
    {
        for (int f = 0; f < Frames; f++) { change(f); FullFrame(Pixels(), fullRgba); }
    });
    double o = ours / Frames, r = reference / Frames;
    Console.WriteLine($"BENCH name=frame-{name} ours={o:F1} ref={r:F1} refname=full-redraw ratio={o / r:F3} unit=cpu-us/frame");
    double ob = (double)oursBytes / Frames, rb = fb.Mode.FrameBytes;
    Console.WriteLine($"BENCH name=bytes-{name} ours={ob:F0} ref={rb:F0} refname=full-redraw ratio={ob / rb:F4} unit=bytes/frame");
}

// virtio-gpu, the same three behaviours end to end on the host: the guest's TRANSFER_TO_HOST_2D and
// RESOURCE_FLUSH of what changed (through the control queue, as Linux sends them: one 8x16 glyph
// cell when typing, the whole screen otherwise), then the viewer's FrameTracker, which skips the
// compare when nothing was flushed. Reference, same run: vesafb's viewer cost for the same change.
using var gpuMachine = new Machine(new MachineConfig { MemoryBytes = 64u << 20, Display = DisplayMode.Default with { Device = DisplayDevice.VirtioGpu } });
var gpu = new GpuDriver(gpuMachine);
const uint BackingAt = 0x1000000;
int stride = fb.Mode.Stride, height = fb.Mode.Height, width = fb.Mode.Width;
Span<byte> Backing() => gpuMachine.Memory.Span(BackingAt, fb.Mode.FrameBytes);
gpu.Send(Vm.Engine.Devices.Virtio.Gpu.GpuProtocol.CmdResourceCreate2D, 1, 2, (uint)width, (uint)height);
gpu.Send(Vm.Engine.Devices.Virtio.Gpu.GpuProtocol.CmdResourceAttachBacking, 1, 1, BackingAt, 0, (uint)fb.Mode.FrameBytes, 0);
gpu.Send(Vm.Engine.Devices.Virtio.Gpu.GpuProtocol.CmdSetScanout, 0, 0, (uint)width, (uint)height, 0, 1);
random.NextBytes(Backing());
void Present(uint x, uint y, uint w, uint h)
{
    gpu.Send(Vm.Engine.Devices.Virtio.Gpu.GpuProtocol.CmdTransferToHost2D, x, y, w, h, y * (uint)stride + x * 4, 0, 1, 0);
    gpu.Send(Vm.Engine.Devices.Virtio.Gpu.GpuProtocol.CmdResourceFlush, x, y, w, h, 1, 0);
}
Present(0, 0, (uint)width, (uint)height);
var gpuTracker = new FrameTracker(gpuMachine.Screen!);
gpuTracker.Update();
foreach (var (name, vesaChange, gpuChange) in new (string, Action<int>, Action<int>)[]
{
    ("idle", _ => { }, _ => { }),
    ("typing", f => Pixels()[(700 * stride) + (f % 1024) * 4] ^= 0xFF,
        f => { Backing()[(700 * stride) + (f % 1024) * 4] ^= 0xFF; Present((uint)(f % 1024) / 8 * 8, 688, 8, 16); }),
    ("full-change", _ => { var p = Pixels(); for (int i = 0; i < p.Length; i += 64) p[i] ^= 0x5A; },
        _ => { var p = Backing(); for (int i = 0; i < p.Length; i += 64) p[i] ^= 0x5A; Present(0, 0, (uint)width, (uint)height); }),
})
{
    for (int f = 0; f < 50; f++) { vesaChange(f); tracker.Update(); gpuChange(f); gpuTracker.Update(); }
    var ours = CpuMicros(() => { for (int f = 0; f < Frames; f++) { gpuChange(f); gpuTracker.Update(); } });
    var reference = CpuMicros(() => { for (int f = 0; f < Frames; f++) { vesaChange(f); tracker.Update(); } });
    double o = ours / Frames, r = reference / Frames;
    Console.WriteLine($"BENCH name=gpu-frame-{name} ours={o:F1} ref={r:F1} refname=vesafb-tracker ratio={o / r:F3} unit=cpu-us/frame");
}

static double CpuMicros(Action work)
{
    var before = Process.GetCurrentProcess().TotalProcessorTime;
    work();
    return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds;
}

static void FullFrame(ReadOnlySpan<byte> xrgb, byte[] rgba)
{
    var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(xrgb);
    var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(rgba.AsSpan());
    for (int i = 0; i < src.Length; i++)
    {
        uint w = src[i];
        dst[i] = 0xFF000000u | ((w >> 16) & 0xFF) | (w & 0xFF00) | ((w & 0xFF) << 16);
    }
}
