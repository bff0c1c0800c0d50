using Platform.Web.Features.Autograding;
using Vm.Engine.Disk;
using Vm.Engine.Snapshots;

namespace Platform.Web.Tests.Features.Autograding;

/// <summary>
/// The disk of a disk-backed lab image in an autograde run, on a real image store in a temp folder:
/// the published image is what the run reads, its writes stay in the run, and a snapshot of
/// another disk is refused.
/// </summary>
public sealed class LabDiskTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"webvm-labdisk-{Guid.NewGuid():N}");
    private readonly ImageStore _store;
    private readonly string _hash;

    public LabDiskTests()
    {
        _store = new ImageStore(_root);
        var raw = new byte[4 << 20];
        for (int i = 0; i < raw.Length; i += 4096) raw[i] = (byte)(i / 4096 + 1);
        using var stream = new MemoryStream(raw);
        _hash = new ImageWriter(_store).Write(stream, raw.Length).ManifestHash;
    }

    private static Platform.Web.Features.LabImages.LabMachineSpec SpecWith(string? disk) => DemoLab.Spec with { DiskManifestHash = disk };

    [Fact]
    public async Task Open_PublishedImage_RunReadsItAndItsWritesAreDiscardedAfter()
    {
        var first = LabDisk.Open(SpecWith(_hash), _store)!;
        Assert.Equal(4 << 20, first.Size);
        var block = new byte[4096];
        await first.ReadAsync(8192, block);
        Assert.Equal(3, block[0]);
        await first.WriteAsync(8192, new byte[4096]);
        await first.ReadAsync(8192, block);
        Assert.Equal(0, block[0]);
        await first.DisposeAsync();

        // The next run starts from the published image again.
        await using var second = LabDisk.Open(SpecWith(_hash), _store)!;
        await second.ReadAsync(8192, block);
        Assert.Equal(3, block[0]);
    }

    [Fact]
    public void Open_ManifestNotInStore_ClearInfrastructureError()
    {
        var e = Assert.Throws<AutogradeInfrastructureException>(() => LabDisk.Open(SpecWith(new string('a', 64)), _store));
        Assert.Contains("not in the image store", e.Message);
    }

    [Fact]
    public void Open_NoDisk_NoDevice() => Assert.Null(LabDisk.Open(SpecWith(null), _store));

    [Fact]
    public void CheckSnapshotDisk_SnapshotOfAnotherDiskOrNone_Refused()
    {
        using var machine = new Vm.Engine.Machine(new Vm.Engine.MachineConfig { MemoryBytes = 16u << 20 });
        byte[] without = machine.SaveSnapshot();
        byte[] withOther = machine.SaveSnapshot(new Dictionary<string, string> { [Vm.Engine.Machine.SnapshotKeys.DiskManifest] = new string('b', 64) });
        byte[] withSame = machine.SaveSnapshot(new Dictionary<string, string> { [Vm.Engine.Machine.SnapshotKeys.DiskManifest] = _hash });

        Assert.Contains("without a disk", Assert.Throws<SnapshotException>(() => LabDisk.CheckSnapshotDisk(SpecWith(_hash), without)).Message);
        Assert.Contains(new string('b', 64), Assert.Throws<SnapshotException>(() => LabDisk.CheckSnapshotDisk(SpecWith(_hash), withOther)).Message);
        Assert.Throws<SnapshotException>(() => LabDisk.CheckSnapshotDisk(SpecWith(null), withSame));
        LabDisk.CheckSnapshotDisk(SpecWith(_hash), withSame);
        LabDisk.CheckSnapshotDisk(SpecWith(null), without);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
