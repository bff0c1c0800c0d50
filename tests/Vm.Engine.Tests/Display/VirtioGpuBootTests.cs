using Vm.Engine.Devices.Display;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.Display;

/// <summary>
/// Debian's stock kernel drives the virtio-gpu: its virtio_gpu DRM driver (loaded by the
/// initramfs's /init because the device is on the PCI bus) reads the mode, gives /dev/dri/card0
/// and, through DRM's fbdev emulation, /dev/fb0 with the fbcon console; what the console and a
/// guest program draw reaches the host's scanout through TRANSFER_TO_HOST_2D and RESOURCE_FLUSH.
/// One boot for the class.
/// </summary>
public sealed class VirtioGpuBootTests : IClassFixture<VirtioGpuBootTests.BootedGpuGuest>
{
    public sealed class BootedGpuGuest() : DisplayGuestFixture(new DisplayMode(1024, 768, DisplayDevice.VirtioGpu));

    private readonly GuestSession _g;
    private IDisplaySurface Screen => _g.Machine.Screen!;

    public VirtioGpuBootTests(BootedGpuGuest fixture) => _g = fixture.Guest;

    [Fact]
    public void Boot_WithVirtioGpu_DrmDriverBindsWithTheMode_AndGivesCard0AndFb0()
    {
        string dmesg = _g.Run("dmesg | grep -e drm -e virtio_gpu");
        Assert.Contains("[drm] pci: virtio-gpu-pci detected at 0000:00:05.0", dmesg);
        Assert.Contains("[drm] number of scanouts: 1", dmesg);
        Assert.Contains("[drm] Initialized virtio_gpu", dmesg);
        Assert.Contains("fb0: virtio_gpudrmfb frame buffer device", dmesg);
        Assert.Equal("card0", _g.Run("ls /dev/dri | grep card").Trim());
        Assert.Equal("virtio_gpudrmfb", _g.Run("cat /sys/class/graphics/fb0/name").Trim());
        Assert.Equal("1024,768", _g.Run("cat /sys/class/graphics/fb0/virtual_size").Trim());
        Assert.Contains("1024x768", _g.Run("cat /sys/class/drm/card0-Virtual-1/modes"));
        Assert.Equal("connected", _g.Run("cat /sys/class/drm/card0-Virtual-1/status").Trim());
        // No vesafb: the machine reserves no framebuffer memory, so the guest has all 128 MiB but the kernel's own.
        Assert.Equal("", _g.Run("grep -i vesafb /proc/iomem").Trim());
        // Linux's driver used only commands the device answers without complaint.
        Assert.Null(_g.Machine.Gpu!.LastCommandError);
        Assert.Equal(0, _g.Machine.Gpu.CommandErrors);
        Assert.True(_g.Machine.Gpu.Commands > 5, $"{_g.Machine.Gpu.Commands} commands");
    }

    [Fact]
    public void TextOnTheGuestsConsole_IsDrawnOnTheScanout()
    {
        _g.Run("printf '\\033[2J\\033[H' > /dev/tty1");
        int before = WaitForLit(0, 0, 1024, 64, n => n < 400);
        _g.Run("echo 'WEBVM GPU TEST WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW' > /dev/tty1");
        // fbcon draws into DRM's shadow buffer; its damage worker transfers and flushes within ~50 ms of guest time.
        int after = WaitForLit(0, 0, 1024, 64, n => n > before + 1500);
        Assert.True(after > before + 1500, $"lit pixels in the top lines went from {before} to {after}");
    }

    [Fact]
    public void GuestWritesToDevFb0_TheScanoutShowsThePattern()
    {
        // 64 pixels of 0x00AA5533 (bytes 33 55 AA 00) at (512, 700) of the 4096-byte rows.
        _g.Run("i=0; while [ $i -lt 64 ]; do printf '\\063\\125\\252\\000'; i=$((i+1)); done > /tmp/p; " +
               "dd if=/tmp/p of=/dev/fb0 bs=2048 seek=1401 conv=notrunc 2>/dev/null");
        for (int i = 0; i < 100 && Screen.PixelAt(575, 700) != 0xAA5533u; i++) Thread.Sleep(100);
        for (int x = 512; x < 576; x++) Assert.Equal(0xAA5533u, Screen.PixelAt(x, 700));
        Assert.NotEqual(0xAA5533u, Screen.PixelAt(511, 700));
        Assert.NotEqual(0xAA5533u, Screen.PixelAt(576, 700));
        // And the viewer's tracker reports the band.
        var tracker = new FrameTracker(Screen);
        tracker.Update();
        int at = (700 * 1024 + 520) * 4;
        Assert.Equal(new byte[] { 0xAA, 0x55, 0x33, 0xFF }, tracker.Rgba[at..(at + 4)]);
    }

    /// <summary>The eight colour bars the e2e test draws too (0xRRGGBB), 128 pixels each.</summary>
    public static readonly uint[] Bars = [0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x808080];

    /// <summary>
    /// One shell line that writes the bars to /dev/fb0 on rows 512..767 (bytes B, G, R, X; printf
    /// reuses its format per argument) in one write: Linux 6.1's fbdev emulation computes an empty
    /// damage rectangle for a write of exactly one whole scanline (drm_fb_helper_memory_range_to_clip:
    /// the end column wraps to 0), so `dd bs=4096` rows would never reach the device.
    /// </summary>
    public const string DrawBars =
        "n=$(seq 128); for c in '\\377\\377\\377' '\\000\\377\\377' '\\377\\377\\000' '\\000\\377\\000' '\\377\\000\\377' '\\000\\000\\377' '\\377\\000\\000' '\\200\\200\\200'; " +
        "do printf \"$c\\000%.0s\" $n; done > /tmp/r; for i in 1 2 3 4 5 6 7 8; do cat /tmp/r /tmp/r > /tmp/s; mv /tmp/s /tmp/r; done; " +
        "dd if=/tmp/r of=/dev/fb0 bs=1048576 seek=2 2>/dev/null";

    [Fact]
    public void ColourBarsWrittenToDevFb0_AppearOnTheScanout()
    {
        _g.Run(DrawBars);
        for (int i = 0; i < 100 && Screen.PixelAt(1023, 767) != 0x808080u; i++) Thread.Sleep(100);
        for (int i = 0; i < Bars.Length; i++)
        {
            Assert.Equal(Bars[i], Screen.PixelAt(128 * i + 64, 600));
            Assert.Equal(Bars[i], Screen.PixelAt(128 * i, 512));
            Assert.Equal(Bars[i], Screen.PixelAt(128 * i + 127, 767));
        }
    }

    [Fact]
    public void KeysOnTheDisplaysKeyboard_TypeIntoTheShellOnTheKmsConsole()
    {
        KeyboardTyping.Type(_g.Machine.Keyboard!, "echo gpu-typed-$((6*7)) >/tmp/k\n");
        string result = "";
        for (int i = 0; i < 100 && result != "gpu-typed-42"; i++)
        {
            result = _g.Run("cat /tmp/k 2>/dev/null").Trim();
            if (result != "gpu-typed-42") Thread.Sleep(200);
        }
        Assert.Equal("gpu-typed-42", result);
    }

    private int WaitForLit(int x0, int y0, int w, int h, Func<int, bool> until)
    {
        int n = LitPixels(x0, y0, w, h);
        for (int i = 0; i < 100 && !until(n); i++)
        {
            Thread.Sleep(100);
            n = LitPixels(x0, y0, w, h);
        }
        return n;
    }

    private int LitPixels(int x0, int y0, int w, int h)
    {
        int n = 0;
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++)
                if (Screen.PixelAt(x, y) != 0) n++;
        return n;
    }
}

/// <summary>A booted machine with virtio-gpu, snapshotted and restored into another: the guest's drawing still reaches the screen.</summary>
public sealed class VirtioGpuSnapshotBootTests
{
    private static MachineConfig WithGpu(MachineConfig c) => c with { Display = new DisplayMode(1024, 768, DisplayDevice.VirtioGpu) };

    [Fact]
    public void SnapshotWithGpu_Restored_ScreenIsBack_AndGuestDrawingStillReachesIt()
    {
        using var a = Vm.Engine.Tests.Snapshots.DrivenMachine.Booted(128u << 20, WithGpu);
        a.Type("i=0; while [ $i -lt 16 ]; do printf '\\063\\125\\252\\000'; i=$((i+1)); done | dd of=/dev/fb0 bs=64 seek=3200 conv=notrunc 2>/dev/null; sleep 1; echo drawn-$((1+1))");
        a.RunUntil("drawn-2", maxSlices: 5_000);
        Assert.Equal(0xAA5533u, a.Machine.Screen!.PixelAt(0, 50));
        byte[] snapshot = a.Machine.SaveSnapshot();

        using var b = new Vm.Engine.Tests.Snapshots.DrivenMachine(128u << 20, WithGpu);
        b.Machine.RestoreSnapshot(snapshot);
        Assert.Equal(0xAA5533u, b.Machine.Screen!.PixelAt(15, 50));
        // Row 60: drawn after the restore.
        int mark = b.Output.Length;
        b.Type("i=0; while [ $i -lt 16 ]; do printf '\\063\\125\\252\\000'; i=$((i+1)); done | dd of=/dev/fb0 bs=64 seek=3840 conv=notrunc 2>/dev/null; sleep 1; echo drawn-$((2+3))");
        b.RunUntil("drawn-5", maxSlices: 5_000, from: mark);
        Assert.Equal(0xAA5533u, b.Machine.Screen.PixelAt(15, 60));
        Assert.Equal(0, b.Machine.Gpu!.CommandErrors);
    }
}
