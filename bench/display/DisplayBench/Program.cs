// Per-frame host cost of the lab display at 1024x768x32, in CPU microseconds per frame, for three
// guest behaviours: an idle screen, one text line changing (typing), every band changing
// (scrolling, a new picture). Ours: FrameTracker (compare 16-row bands with the last frame, convert the changed
// ones to RGBA). Reference, in the same run: converting and sending the whole frame every frame,
// what a display without change detection does. Also the bytes handed to the canvas per frame.
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
