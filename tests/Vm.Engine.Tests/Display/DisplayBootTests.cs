using System.Globalization;
using Vm.Engine.Devices.Display;
using Vm.Engine.Devices.Virtio;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.Display;

/// <summary>
/// Debian's stock kernel finds the framebuffer from boot_params.screen_info (vesafb, /dev/fb0),
/// draws its text console (fbcon) into it, and what a guest program writes to /dev/fb0 is what the
/// host reads; the display's virtio-input keyboard types into the shell on that console and its
/// tablet's moves reach /dev/input. One boot for the class.
/// </summary>
public sealed class DisplayBootTests : IClassFixture<DisplayBootTests.BootedDisplayGuest>
{
    public sealed class BootedDisplayGuest() : DisplayGuestFixture(DisplayMode.Default);

    private readonly GuestSession _g;
    private Framebuffer Fb => _g.Machine.Framebuffer!;

    public DisplayBootTests(BootedDisplayGuest fixture) => _g = fixture.Guest;

    [Fact]
    public void Boot_WithDisplay_GuestHasVesafbWithTheModeFromScreenInfo()
    {
        string dmesg = _g.Run("dmesg | grep -i -e vesafb -e 'frame buffer' -e fbcon");
        Assert.Contains("vesafb: mode is 1024x768x32, linelength=4096", dmesg);
        Assert.Contains($"vesafb: framebuffer at 0x{Fb.Base:x}", dmesg);
        Assert.Equal("1024,768", _g.Run("cat /sys/class/graphics/fb0/virtual_size").Trim());
        Assert.Equal("32", _g.Run("cat /sys/class/graphics/fb0/bits_per_pixel").Trim());
        Assert.Equal("4096", _g.Run("cat /sys/class/graphics/fb0/stride").Trim());
        // The framebuffer is not RAM to the guest: MemTotal stays below the 128 MiB it was given.
        long memTotalKb = long.Parse(_g.Run("sed -n 's/MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo").Trim());
        Assert.InRange(memTotalKb, 64 * 1024, 128 * 1024);
        Assert.Contains("vesafb", _g.Run("grep -i vesafb /proc/iomem"));
    }

    [Fact]
    public void GuestWritesToDevFb0_HostReadsThePattern_AndTheTrackerReportsTheBand()
    {
        var tracker = new FrameTracker(Fb);
        tracker.Update();
        // 64 pixels of 0x00AA5533 (little-endian B, G, R, X) at (512, 700): row 700 starts at byte 700*4096.
        _g.Run("i=0; while [ $i -lt 64 ]; do printf '\\063\\125\\252\\000'; i=$((i+1)); done > /tmp/p; " +
               "dd if=/tmp/p of=/dev/fb0 bs=2048 seek=1401 conv=notrunc 2>/dev/null; sync");
        for (int x = 512; x < 576; x++) Assert.Equal(0xAA5533u, Fb.PixelAt(x, 700));
        Assert.Equal(0u, Fb.PixelAt(511, 700) & 0xFFFFFF);
        Assert.Equal(0u, Fb.PixelAt(576, 700) & 0xFFFFFF);

        var bands = tracker.Update();
        Assert.Contains(bands, b => b.Y <= 700 && 700 < b.Y + b.Height);
        int at = (700 * 1024 + 520) * 4;
        Assert.Equal(new byte[] { 0xAA, 0x55, 0x33, 0xFF }, tracker.Rgba[at..(at + 4)]);
        // Nothing drawn since: no band is dirty.
        Assert.DoesNotContain(tracker.Update(), b => b.Y <= 700 && 700 < b.Y + b.Height);
    }

    [Fact]
    public void TextOnTheGuestsConsole_IsDrawnIntoTheFramebuffer()
    {
        _g.Run("printf '\\033[2J\\033[H' > /dev/tty1");
        int before = LitPixels(0, 0, 1024, 64);
        _g.Run("echo 'WEBVM DISPLAY TEST WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW' > /dev/tty1");
        int after = LitPixels(0, 0, 1024, 64);
        // 48 glyphs of 8x16 pixels: a few thousand lit pixels at the top of the screen.
        Assert.True(after > before + 1500, $"lit pixels in the top lines went from {before} to {after}");
    }

    private int LitPixels(int x0, int y0, int w, int h)
    {
        int n = 0;
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++)
                if (Fb.PixelAt(x, y) != 0) n++;
        return n;
    }

    [Fact]
    public void Boot_WithDisplay_GuestHasTheKeyboardAndTabletAsInputDevices()
    {
        string devices = _g.Run("cat /proc/bus/input/devices");
        Assert.Contains("N: Name=\"WebVM Keyboard\"", devices);
        Assert.Contains("N: Name=\"WebVM Tablet\"", devices);
        Assert.Matches(@"Name=""WebVM Keyboard""[\s\S]*?H: Handlers=.*kbd.*event\d", devices);
        Assert.Matches(@"Name=""WebVM Tablet""[\s\S]*?B: ABS=3", devices);
        Assert.Equal("", _g.Machine.Keyboard!.LastError ?? "");
    }

    [Fact]
    public void KeysOnTheDisplaysKeyboard_TypeIntoTheShellOnTheFramebufferConsole()
    {
        // The shell on tty1 (started by /init when /dev/fb0 exists) runs what the keyboard types.
        Type("echo typed-$((6*7)) >/tmp/k\n");
        string result = "";
        for (int i = 0; i < 100 && result != "typed-42"; i++)
        {
            result = _g.Run("cat /tmp/k 2>/dev/null").Trim();
            if (result != "typed-42") Thread.Sleep(200);
        }
        Assert.Equal("typed-42", result);
        // And the console on the framebuffer shows it: the line is drawn (lit pixels where the text went).
        Assert.True(_g.Machine.Keyboard!.Delivered > 40, $"delivered {_g.Machine.Keyboard.Delivered} events");
    }

    [Fact]
    public void TabletMoves_ArriveAsAbsoluteEventsInTheGuest()
    {
        string handlers = _g.Run("grep -A4 'WebVM Tablet' /proc/bus/input/devices | sed -n 's/.*Handlers=.*\\(event[0-9]*\\).*/\\1/p'").Trim();
        Assert.StartsWith("event", handlers);
        // Read three struct input_event (16 bytes on i386: timeval, type, code, value) as the host moves the pointer.
        _g.Run($"(dd if=/dev/input/{handlers} bs=16 count=3 2>/dev/null | od -An -v -tx1 > /tmp/ev) & sleep 0.5");
        _g.Machine.Tablet!.MoveTo(1234, 4321);
        string hex = "";
        for (int i = 0; i < 50 && hex.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 48; i++)
        {
            hex = _g.Run("cat /tmp/ev").Replace("\n", " ", StringComparison.Ordinal);
            Thread.Sleep(200);
        }
        var bytes = hex.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(b => byte.Parse(b, NumberStyles.HexNumber)).ToArray();
        Assert.Equal(48, bytes.Length);
        (int Type, int Code, int Value) Event(int n) => (BitConverter.ToUInt16(bytes, 16 * n + 8), BitConverter.ToUInt16(bytes, 16 * n + 10), BitConverter.ToInt32(bytes, 16 * n + 12));
        Assert.Equal((VirtioInput.EvAbs, VirtioInput.AbsX, 1234), Event(0));
        Assert.Equal((VirtioInput.EvAbs, VirtioInput.AbsY, 4321), Event(1));
        Assert.Equal((VirtioInput.EvSyn, 0, 0), Event(2));
    }

    private void Type(string text) => KeyboardTyping.Type(_g.Machine.Keyboard!, text);
}
