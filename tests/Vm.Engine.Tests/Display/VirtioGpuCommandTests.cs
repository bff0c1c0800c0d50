using System.Buffers.Binary;
using Vm.Engine.Devices.Display;
using Vm.Engine.Devices.Virtio.Gpu;
using static Vm.Engine.Devices.Virtio.Gpu.GpuProtocol;

namespace Vm.Engine.Tests.Display;

/// <summary>
/// The virtio-gpu device driven through its virtqueues as Linux's driver drives it (no kernel):
/// what a guest draws and flushes is what the screen shows, and every malformed command gets the
/// protocol's error response, is counted and explained, and leaves the device working.
/// </summary>
public sealed class VirtioGpuCommandTests : IDisposable
{
    private readonly GpuTestDriver _d = new();
    private const uint Backing = 0x400000;

    public void Dispose() => _d.Dispose();

    /// <summary>Fills <paramref name="pixels"/> 32-bit words at <paramref name="at"/> with <paramref name="word"/>.</summary>
    private void Fill(uint at, int pixels, uint word)
    {
        var span = _d.Machine.Memory.Span(at, pixels * 4);
        for (int i = 0; i < pixels; i++) BinaryPrimitives.WriteUInt32LittleEndian(span[(4 * i)..], word);
    }

    /// <summary>A 640x480 resource 1 backed at <see cref="Backing"/>, shown on scanout 0.</summary>
    private void ShowResource(GpuFormat format = GpuFormat.B8G8R8X8)
    {
        Assert.Equal(RespOkNoData, _d.Create(1, 640, 480, format));
        Assert.Equal(RespOkNoData, _d.Attach(1, (Backing, 640 * 480 * 4)));
        Assert.Equal(RespOkNoData, _d.SetScanout(0, 1, 0, 0, 640, 480));
    }

    [Fact]
    public void Driver_NegotiatesVersion1_AndSeesOneScanout()
    {
        Assert.Equal(1 | 2 | 4 | 8, _d.Status);
        Assert.Equal(1u, _d.NumScanouts);
        Assert.Equal(0x1050, _d.Machine.Gpu!.Config[2] | _d.Machine.Gpu.Config[3] << 8);
    }

    [Fact]
    public void GetDisplayInfo_ReportsTheConfiguredModeOnScanout0Only()
    {
        var r = _d.Send(CmdGetDisplayInfo, []);
        Assert.Equal(RespOkDisplayInfo, GpuTestDriver.Type(r));
        Assert.Equal(DisplayInfoBytes, r.Length);
        Assert.Equal((0u, 0u, 640u, 480u, 1u), (U(r, 24), U(r, 28), U(r, 32), U(r, 36), U(r, 40)));
        Assert.Equal(0u, U(r, 24 + 24 + 16)); // scanout 1 is not enabled
    }

    private static uint U(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));

    [Fact]
    public void TransferAndFlush_ShowWhatTheGuestDrew_OnlyAfterTheFlush()
    {
        ShowResource();
        // Row 100, x 10..59 in 0x00AA5533 (XRGB): the transfer's offset points at the rectangle's first pixel.
        Fill(Backing + (100 * 640 + 10) * 4, 50, 0x00AA5533);
        long before = _d.Gpu.Screen.ChangeCount!.Value;
        Assert.Equal(RespOkNoData, _d.Transfer(1, 10, 100, 50, 1, (100 * 640 + 10) * 4));
        Assert.Equal(0u, _d.Gpu.Screen.PixelAt(10, 100));
        Assert.Equal(before, _d.Gpu.Screen.ChangeCount);

        Assert.Equal(RespOkNoData, _d.Flush(1, 0, 96, 640, 8));
        Assert.Equal(0xAA5533u, _d.Gpu.Screen.PixelAt(10, 100));
        Assert.Equal(0xAA5533u, _d.Gpu.Screen.PixelAt(59, 100));
        Assert.Equal(0u, _d.Gpu.Screen.PixelAt(60, 100));
        Assert.NotEqual(before, _d.Gpu.Screen.ChangeCount);
        Assert.Equal(0, _d.Gpu.CommandErrors);
    }

    [Fact]
    public void Transfer_GathersAcrossScatteredBackingPages()
    {
        // A 16x4 resource (64-byte rows) backed by two 128-byte runs far apart: rows 2 and 3 live in the second run.
        Assert.Equal(RespOkNoData, _d.Create(2, 16, 4));
        Assert.Equal(RespOkNoData, _d.Attach(2, (0x500000, 128), (0x700000, 128)));
        Fill(0x500000, 32, 0x00111111);
        Fill(0x700000, 32, 0x00222222);
        Assert.Equal(RespOkNoData, _d.SetScanout(0, 2, 0, 0, 16, 4));
        Assert.Equal(RespOkNoData, _d.Transfer(2, 0, 0, 16, 4, 0));
        Assert.Equal(RespOkNoData, _d.Flush(2, 0, 0, 16, 4));
        Assert.Equal(0x111111u, _d.Gpu.Screen.PixelAt(15, 1));
        Assert.Equal(0x222222u, _d.Gpu.Screen.PixelAt(0, 2));
        // The scanout shows a 16x4 resource at the top-left; the rest of the screen stays black.
        Assert.Equal(0u, _d.Gpu.Screen.PixelAt(16, 0));
    }

    [Theory]
    [InlineData(GpuFormat.B8G8R8X8, 0x00AA5533u)] // bytes 33 55 AA 00
    [InlineData(GpuFormat.X8R8G8B8, 0x3355AA00u)] // bytes 00 AA 55 33
    [InlineData(GpuFormat.R8G8B8X8, 0x003355AAu)] // bytes AA 55 33 00
    [InlineData(GpuFormat.X8B8G8R8, 0xAA553300u)] // bytes 00 33 55 AA
    public void Formats_AreShownInTheirColours(GpuFormat format, uint word)
    {
        ShowResource(format);
        Fill(Backing, 4, word);
        Assert.Equal(RespOkNoData, _d.Transfer(1, 0, 0, 4, 1, 0));
        Assert.Equal(RespOkNoData, _d.Flush(1, 0, 0, 4, 1));
        Assert.Equal(0xAA5533u, _d.Gpu.Screen.PixelAt(3, 0));
    }

    [Fact]
    public void FencedCommand_ResponseCarriesTheFence()
    {
        var r = _d.Send(CmdResourceCreate2D, GpuTestDriver.U32s(5, (uint)GpuFormat.B8G8R8X8, 8, 8), fence: 0x1122334455667788);
        Assert.Equal(RespOkNoData, GpuTestDriver.Type(r));
        Assert.Equal(FlagFence, U(r, 4));
        Assert.Equal(0x1122334455667788ul, BinaryPrimitives.ReadUInt64LittleEndian(r.AsSpan(8)));
    }

    [Fact]
    public void UnrefOfTheShownResource_TurnsTheScreenBlack_AndFreesItsMemory()
    {
        ShowResource();
        Fill(Backing, 640, 0x00FFFFFF);
        _d.Transfer(1, 0, 0, 640, 1, 0);
        _d.Flush(1, 0, 0, 640, 1);
        Assert.Equal(0xFFFFFFu, _d.Gpu.Screen.PixelAt(5, 0));
        Assert.Equal(RespOkNoData, _d.Unref(1));
        Assert.Equal(0u, _d.Gpu.Screen.PixelAt(5, 0));
        Assert.Equal(0u, _d.Gpu.Screen.ResourceId);
        Assert.Equal(0, _d.Gpu.ResourceBytes);
    }

    [Fact]
    public void BadResourceId_IsAnsweredWithInvalidResourceId_CountedAndExplained()
    {
        Assert.Equal(RespErrInvalidResourceId, _d.Flush(42, 0, 0, 1, 1));
        Assert.Equal(RespErrInvalidResourceId, _d.Transfer(42, 0, 0, 1, 1, 0));
        Assert.Equal(RespErrInvalidResourceId, _d.Unref(42));
        Assert.Equal(RespErrInvalidResourceId, _d.SetScanout(0, 42, 0, 0, 1, 1));
        Assert.Equal(RespErrInvalidResourceId, _d.Create(0, 8, 8));
        Assert.Equal(5, _d.Gpu.CommandErrors);
        Assert.Contains("resource id 0 is reserved", _d.Gpu.LastCommandError);
        // The device goes on: the transport is not broken and a good command works.
        Assert.Null(_d.Gpu.LastError);
        Assert.Equal(RespOkNoData, _d.Create(7, 8, 8));
        Assert.Equal(RespErrInvalidResourceId, _d.Create(7, 8, 8));
        Assert.Contains("resource 7 already exists", _d.Gpu.LastCommandError);
    }

    [Fact]
    public void BackingOutsideRam_IsRefused_AndTheResourceStaysWithoutBacking()
    {
        Assert.Equal(RespOkNoData, _d.Create(1, 64, 64));
        Assert.Equal(RespErrUnspec, _d.Attach(1, (Backing, 4096), (0xFFFF0000, 16384)));
        Assert.Contains("outside guest RAM", _d.Gpu.LastCommandError);
        Assert.Equal(RespErrUnspec, _d.Transfer(1, 0, 0, 64, 64, 0));
        Assert.Contains("no backing", _d.Gpu.LastCommandError);
        Assert.Equal(2, _d.Gpu.CommandErrors);
        Assert.Null(_d.Gpu.LastError);
    }

    [Fact]
    public void RectanglesOutsideTheResourceOrBacking_AreInvalidParameters()
    {
        ShowResource();
        Assert.Equal(RespErrInvalidParameter, _d.Flush(1, 600, 0, 41, 1));
        Assert.Equal(RespErrInvalidParameter, _d.Transfer(1, 0, 479, 640, 2, 0));
        // Sums that wrap in 32 bits are still outside.
        Assert.Equal(RespErrInvalidParameter, _d.Flush(1, 0xFFFFFFF0, 0, 0x20, 1));
        // A transfer whose offset reads past the backing.
        Assert.Equal(RespErrInvalidParameter, _d.Transfer(1, 0, 0, 640, 1, 640 * 480 * 4));
        Assert.Contains("past resource 1's", _d.Gpu.LastCommandError);
        Assert.Equal(RespErrInvalidParameter, _d.SetScanout(0, 1, 0, 0, 641, 480));
        Assert.Equal(RespErrInvalidScanoutId, _d.SetScanout(1, 1, 0, 0, 640, 480));
        Assert.Equal(6, _d.Gpu.CommandErrors);
    }

    [Fact]
    public void MalformedRequests_AreAnsweredNotCrashed()
    {
        // Shorter than the control header; a create without its body; an unknown command; a bad format; a huge size.
        Assert.Equal(RespErrUnspec, GpuTestDriver.Type(_d.SendRaw(new byte[10])));
        Assert.Equal(RespErrInvalidParameter, GpuTestDriver.Type(_d.Send(CmdResourceCreate2D, new byte[4])));
        Assert.Equal(RespErrUnspec, GpuTestDriver.Type(_d.Send(0x0200, [])));
        Assert.Contains("0x0200 is not supported", _d.Gpu.LastCommandError);
        Assert.Equal(RespErrInvalidParameter, _d.Create(3, 8, 8, (GpuFormat)99));
        Assert.Equal(RespErrInvalidParameter, _d.Create(3, 20000, 8));
        Assert.Equal(RespOkNoData, _d.Create(3, 8, 8));
        Assert.Equal(RespErrInvalidParameter, _d.Attach(3, []));
        Assert.Equal(6, _d.Gpu.CommandErrors);
        Assert.Equal(RespOkNoData, _d.Attach(3, (Backing, 256)));
    }

    [Fact]
    public void ResourcesBeyondTheHostMemoryLimit_AreOutOfMemory()
    {
        // 16384x4096x4 = 256 MiB: the first fills the limit, the next does not fit.
        Assert.Equal(RespOkNoData, _d.Create(1, 16384, 4095));
        Assert.Equal(RespErrOutOfMemory, _d.Create(2, 1024, 1024));
        Assert.Contains("over the 256 MiB limit", _d.Gpu.LastCommandError);
        Assert.Equal(RespOkNoData, _d.Unref(1));
        Assert.Equal(RespOkNoData, _d.Create(2, 1024, 1024));
    }

    [Fact]
    public void DriverReset_DropsResourcesAndBlanksTheScreen()
    {
        ShowResource();
        Fill(Backing, 640, 0x00FFFFFF);
        _d.Transfer(1, 0, 0, 640, 1, 0);
        _d.Flush(1, 0, 0, 640, 1);
        _d.Machine.Io.Out(0xD400 + 0x14, 0, 1);
        Assert.Empty(_d.Gpu.Resources);
        Assert.Equal(0u, _d.Gpu.Screen.PixelAt(5, 0));
    }

    [Fact]
    public void Snapshot_RestoresResourcesBackingAndTheScreen()
    {
        ShowResource();
        Fill(Backing + 50 * 640 * 4, 640, 0x00123456);
        _d.Transfer(1, 0, 50, 640, 1, 50 * 640 * 4);
        _d.Flush(1, 0, 50, 640, 1);
        byte[] snapshot = _d.Machine.SaveSnapshot();

        using var b = new Machine(new MachineConfig { MemoryBytes = 32u << 20, Display = new DisplayMode(640, 480, DisplayDevice.VirtioGpu) });
        b.RestoreSnapshot(snapshot);
        Assert.Equal(0x123456u, b.Gpu!.Screen.PixelAt(639, 50));
        Assert.Equal(1u, b.Gpu.Screen.ResourceId);
        Assert.Equal(640L * 480 * 4, b.Gpu.ResourceBytes);
        Assert.Single(b.Gpu.Resources, r => r.Backing.Count == 1 && r.Backing[0].Address == Backing);
        Assert.True(b.Gpu.DriverOk);
    }

    [Fact]
    public void Snapshot_WithGpu_IntoAMachineWithoutIt_IsRefusedClearly()
    {
        byte[] snapshot = _d.Machine.SaveSnapshot();
        using var plain = new Machine(new MachineConfig { MemoryBytes = 32u << 20 });
        var e = Assert.Throws<Vm.Engine.Snapshots.SnapshotException>(() => plain.RestoreSnapshot(snapshot));
        Assert.Contains("section", e.Message);
    }
}
