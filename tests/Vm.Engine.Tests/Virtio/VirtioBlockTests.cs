using System.Buffers.Binary;
using Vm.Engine.Devices;
using Vm.Engine.Devices.Pci;
using Vm.Engine.Devices.Virtio;
using Vm.Engine.Disk;
using Vm.Engine.Memory;
using Vm.Engine.Tests.Disk;
using static Vm.Engine.Tests.Disk.DiskTestData;

namespace Vm.Engine.Tests.Virtio;

/// <summary>virtio-blk driven through its registers and rings, over the three disk layers.</summary>
public sealed class VirtioBlockTests : IDisposable
{
    private const uint Header = 0x30000, Data = 0x40000, Status = 0x80000;
    private readonly PhysicalMemory _ram = new(16u << 20);
    private readonly IoBus _io = new();
    private readonly RecordingLine _line = new();
    private VirtioBlock _blk = null!;
    private LegacyVirtioDriver _driver = null!;
    private readonly List<Exception> _failures = [];
    private int _wakes;

    private void Attach(IBlockSource source)
    {
        var bus = new PciBus();
        _blk = new VirtioBlock(new GuestRam(_ram), _line, 11, 0xC200, source);
        _blk.IoFailed += _failures.Add;
        _blk.Wake = () => Interlocked.Increment(ref _wakes);
        bus.Attach(3, _blk);
        _io.Register(bus);
        _driver = new LegacyVirtioDriver(_io, _ram, 3);
        _driver.Initialize(uint.MaxValue, 1);
    }

    private ushort Submit(uint type, long sector, int dataLength, bool deviceWrites)
    {
        var h = _ram.Span(Header, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], (ulong)sector);
        _ram.Span(Status, 1)[0] = 0xEE;
        return dataLength == 0
            ? _driver.Post(0, (Header, 16, false), (Status, 1, true))
            : _driver.Post(0, (Header, 16, false), (Data, (uint)dataLength, deviceWrites), (Status, 1, true));
    }

    /// <summary>Runs the machine's side (Poll) until the request comes back; returns its status byte.</summary>
    private byte Complete()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            _blk.Poll();
            if (_driver.TakeUsed(0) is not null) return _ram.Span(Status, 1)[0];
            Thread.Sleep(1);
        }
        throw new TimeoutException("virtio-blk request did not complete");
    }

    [Fact]
    public void Config_ReportsCapacityInSectors_AndOffersFlush()
    {
        var (manifest, store) = Chunked(Image(4));
        Attach(new CopyOnWriteSource(new RemoteImageSource(manifest, new StoreChunkFetcher(store)), new MemoryOverlayStore()));
        Assert.Equal((ulong)(4 * Chunk / 512), _driver.DeviceConfig64(0));
        Assert.NotEqual(0u, _driver.HostFeatures & (1u << 9));
        Assert.Equal(0u, _driver.HostFeatures & (1u << 5)); // writable through the overlay
    }

    [Fact]
    public void Read_ThroughRemoteImageAndOverlay_ReturnsImageBytes_AndInterrupts()
    {
        var image = Image(4, 3, 1);
        var (manifest, store) = Chunked(image);
        Attach(new CopyOnWriteSource(new RemoteImageSource(manifest, new StoreChunkFetcher(store)), new MemoryOverlayStore()));

        Submit(VirtioBlock.TypeIn, sector: 250, dataLength: 8192, deviceWrites: true); // crosses chunk 0 → 1 (zero)
        Assert.Equal(VirtioBlock.StatusOk, Complete());

        Assert.True(image.AsSpan(250 * 512, 8192).SequenceEqual(_ram.Span(Data, 8192)));
        Assert.True(_line.Level);
        Assert.Equal(1, _driver.ReadIsr());
    }

    [Fact]
    public void Write_GoesToTheOverlay_ReadsBack_BaseUntouched()
    {
        var image = Image(2);
        var (manifest, store) = Chunked(image);
        var overlay = new MemoryOverlayStore();
        Attach(new CopyOnWriteSource(new RemoteImageSource(manifest, new StoreChunkFetcher(store)), overlay));

        new Random(7).NextBytes(_ram.Span(Data, 4096));
        byte[] written = _ram.Span(Data, 4096).ToArray();
        Submit(VirtioBlock.TypeOut, sector: 8, dataLength: 4096, deviceWrites: false);
        Assert.Equal(VirtioBlock.StatusOk, Complete());
        Submit(VirtioBlock.TypeFlush, 0, 0, false);
        Assert.Equal(VirtioBlock.StatusOk, Complete());

        _ram.Span(Data, 4096).Clear();
        Submit(VirtioBlock.TypeIn, sector: 8, dataLength: 4096, deviceWrites: true);
        Assert.Equal(VirtioBlock.StatusOk, Complete());
        Assert.Equal(written, _ram.Span(Data, 4096).ToArray());
        Assert.True(overlay.Contains(1));
        Assert.Equal(4096, _blk.BytesWritten);
    }

    [Fact]
    public void Read_CorruptChunk_IoErrorToGuestAndHost_NoBytesHandedOver()
    {
        var image = Image(3);
        var (manifest, store) = Chunked(image);
        var fetcher = new ScriptedFetcher(store);
        fetcher.CorruptTimes(manifest.Chunks[1]!, 100);
        var remote = new RemoteImageSource(manifest, fetcher, options: new RemoteImageOptions { RetryDelay = TimeSpan.Zero, ReadAhead = 0 });
        Attach(new CopyOnWriteSource(remote, new MemoryOverlayStore()));
        _ram.Span(Data, 4096).Fill(0xAA);

        Submit(VirtioBlock.TypeIn, sector: Chunk / 512, dataLength: 4096, deviceWrites: true);

        Assert.Equal(VirtioBlock.StatusIoErr, Complete());
        Assert.True(_ram.Span(Data, 4096).IndexOfAnyExcept((byte)0xAA) < 0, "no byte of the corrupt chunk reached the guest");
        var failure = Assert.IsType<DiskIoException>(Assert.Single(_failures));
        Assert.Equal(DiskIoFailure.Corrupt, failure.Failure);
        Assert.Equal(1, failure.ChunkIndex);
        Assert.Equal(3, fetcher.Count(manifest.Chunks[1]!)); // retried before giving up

        // The device keeps working: the next chunk reads fine.
        Submit(VirtioBlock.TypeIn, sector: 2 * Chunk / 512, dataLength: 4096, deviceWrites: true);
        Assert.Equal(VirtioBlock.StatusOk, Complete());
        Assert.True(image.AsSpan(2 * Chunk, 4096).SequenceEqual(_ram.Span(Data, 4096)));
    }

    [Fact]
    public void Read_PastTheEnd_IoError()
    {
        var (manifest, store) = Chunked(Image(1));
        Attach(new RemoteImageSource(manifest, new StoreChunkFetcher(store)));
        Submit(VirtioBlock.TypeIn, sector: Chunk / 512 - 1, dataLength: 1024, deviceWrites: true);
        Assert.Equal(VirtioBlock.StatusIoErr, Complete());
    }

    [Fact]
    public void Write_ToReadOnlyImage_IoError_AndFeatureSaysReadOnly()
    {
        var (manifest, store) = Chunked(Image(1));
        Attach(new RemoteImageSource(manifest, new StoreChunkFetcher(store)));
        Assert.NotEqual(0u, _driver.HostFeatures & (1u << 5));
        Submit(VirtioBlock.TypeOut, sector: 0, dataLength: 512, deviceWrites: false);
        Assert.Equal(VirtioBlock.StatusIoErr, Complete());
    }

    [Fact]
    public async Task SlowSource_RequestCompletesLater_OnPoll_WithWake()
    {
        var gate = new GatedSource(1 << 20);
        Attach(gate);
        Submit(VirtioBlock.TypeIn, sector: 0, dataLength: 512, deviceWrites: true);
        _blk.Poll();
        Assert.Null(_driver.TakeUsed(0));
        Assert.True(_blk.Busy);
        Assert.False(_line.Level);

        gate.Release.SetResult();
        await Task.Delay(50);
        Assert.True(_wakes > 0, "the device woke the machine");
        _blk.Poll();
        Assert.NotNull(_driver.TakeUsed(0));
        Assert.Equal(VirtioBlock.StatusOk, _ram.Span(Status, 1)[0]);
        Assert.Equal(0x5A, _ram.Span(Data, 1)[0]);
        Assert.True(_line.Level);
        Assert.False(_blk.Busy);
    }

    public void Dispose() => _ram.Dispose();

    /// <summary>A disk whose reads finish only when the test says so (a chunk on a slow network).</summary>
    private sealed class GatedSource(long size) : IBlockSource
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public long Size => size;
        public bool IsReadOnly => true;

        public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Release.Task;
            buffer.Span.Fill(0x5A);
        }

        public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => throw new InvalidOperationException();
        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
