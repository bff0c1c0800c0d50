using System.Buffers.Binary;
using Vm.Engine.Disk;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// virtio-blk (virtio 1.0 §5.2) over an asynchronous <see cref="IBlockSource"/>. A request is taken
/// off the ring, its read/write/flush started, and the machine keeps running; when the task
/// finishes (from any thread) the device is woken and, on the machine's thread, copies the data
/// into guest memory, writes the status byte, returns the chain and raises its interrupt. So the
/// browser host can fetch a chunk over the network without blocking its one thread.
/// Requests run one at a time in ring order: the copy-on-write layer serializes them anyway, and
/// a write never overtakes an earlier read of the same blocks. A read the source cannot serve with
/// verified bytes (<see cref="DiskIoException"/>) is answered VIRTIO_BLK_S_IOERR with no data, and
/// reported to the host through <see cref="IoFailed"/>.
/// </summary>
public sealed partial class VirtioBlock : VirtioPciDevice
{
    private const uint FeatureSegMax = 1 << 2, FeatureReadOnly = 1 << 5, FeatureFlush = 1 << 9;
    public const uint TypeIn = 0, TypeOut = 1, TypeFlush = 4, TypeGetId = 8;
    public const byte StatusOk = 0, StatusIoErr = 1, StatusUnsupported = 2;
    private const ushort QueueSize = 128;

    private readonly IBlockSource _source;
    private readonly Queue<DescriptorChain> _waiting = new();
    private Request? _current;
    private volatile bool _completed;

    private sealed class Request(DescriptorChain chain, uint type, byte[]? buffer, Task task)
    {
        public DescriptorChain Chain = chain;
        public uint Type = type;
        public byte[]? Buffer = buffer;
        public Task Task = task;
    }

    public VirtioBlock(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort ioBase, IBlockSource source)
        : base(ram, irq, irqNumber, virtioType: 2, classCode: 0x018000, ioBase, queueSizes: [QueueSize], configSize: 24)
    {
        _source = source;
    }

    public IBlockSource Source => _source;

    /// <summary>Raised on the machine's thread when a request failed (the guest got an I/O error).</summary>
    public event Action<Exception>? IoFailed;

    public long Requests, BytesRead, BytesWritten, IoErrors;

    public override bool Busy => _current != null || _waiting.Count > 0;

    protected override uint DeviceFeatures =>
        FeatureSegMax | FeatureFlush | FeatureIndirectDesc | (_source.IsReadOnly ? FeatureReadOnly : 0);

    protected override byte ReadDeviceConfig(int offset)
    {
        Span<byte> cfg = stackalloc byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(cfg, (ulong)_source.SectorCount());
        Put32(cfg, 12, QueueSize - 2); // seg_max: data segments besides the header and status
        return ConfigByte(cfg, offset);
    }

    protected override void DeviceReset()
    {
        _waiting.Clear();
        _current = null; // a request still running finishes into nothing
    }

    protected override void QueueNotified(int queue)
    {
        var q = Queues[0];
        while (q.Pop() is { } chain) _waiting.Enqueue(chain);
        StartNext();
    }

    public override void Poll()
    {
        if (!_completed) return;
        _completed = false;
        Guarded(() =>
        {
            if (_current is { Task.IsCompleted: true }) Finish();
            StartNext();
        });
    }

    private void StartNext()
    {
        while (_current == null && _waiting.TryDequeue(out var chain))
        {
            _current = Start(chain);
            if (_current.Task.IsCompleted) Finish();
            else
            {
                var request = _current;
                request.Task.ContinueWith(_ =>
                {
                    _completed = true;
                    Wake?.Invoke();
                }, TaskContinuationOptions.ExecuteSynchronously);
            }
        }
    }

    private Request Start(DescriptorChain chain)
    {
        Requests++;
        var last = chain.Segments.Length > 0 ? chain.Segments[^1] : default;
        if (chain.Segments.Length < 2 || !last.DeviceWritable || last.Length < 1 || chain.Segments[0].DeviceWritable || chain.Segments[0].Length < 16)
            throw new VirtioException("virtio-blk request without a 16-byte header and a status byte");
        Span<byte> header = stackalloc byte[16];
        Ram.Read(chain.Segments[0].Address, header);
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        long sector = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        uint dataLength = (uint)chain.Segments[1..^1].Sum(s => s.Length) + (last.Length - 1);
        try
        {
            switch (type)
            {
                case TypeIn:
                {
                    var buffer = new byte[dataLength];
                    return new Request(chain, type, buffer, _source.ReadSectorsAsync(sector, buffer).AsTask());
                }
                case TypeOut:
                {
                    var data = new byte[dataLength];
                    int at = 0;
                    foreach (var s in chain.Segments[1..^1])
                    {
                        Ram.Read(s.Address, data.AsSpan(at, (int)s.Length));
                        at += (int)s.Length;
                    }
                    return new Request(chain, type, null, _source.WriteSectorsAsync(sector, data).AsTask());
                }
                case TypeFlush:
                    return new Request(chain, type, null, _source.FlushAsync().AsTask());
                case TypeGetId:
                {
                    var id = new byte[Math.Min(20, dataLength)];
                    "webvm-disk"u8[..Math.Min(10, id.Length)].CopyTo(id);
                    return new Request(chain, type, id, Task.CompletedTask);
                }
                default:
                    return new Request(chain, type, null, Task.FromException(new NotSupportedException($"virtio-blk request type {type}")));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or OverflowException)
        {
            // Out of range, a write to a read-only disk, ...: the guest gets an error for this request only.
            return new Request(chain, type, null, Task.FromException(e));
        }
    }

    private void Finish()
    {
        var r = _current!;
        _current = null;
        byte status;
        uint written = 1;
        var statusSeg = r.Chain.Segments[^1];
        if (r.Task.IsCompletedSuccessfully)
        {
            status = StatusOk;
            if (r.Buffer != null)
            {
                // Scatter into the writable data buffers; the status byte is the chain's last byte.
                int at = 0;
                foreach (var s in r.Chain.Segments[1..])
                {
                    if (!s.DeviceWritable || at >= r.Buffer.Length) continue;
                    int n = (int)Math.Min(s.Length, (uint)(r.Buffer.Length - at));
                    Ram.Write(s.Address, r.Buffer.AsSpan(at, n));
                    at += n;
                }
                written += (uint)at;
                if (r.Type == TypeIn) BytesRead += at;
            }
            else if (r.Type == TypeOut)
            {
                BytesWritten += r.Chain.ReadableLength - 16;
            }
        }
        else
        {
            var error = r.Task.Exception?.GetBaseException() ?? new IOException("request cancelled");
            status = error is NotSupportedException ? StatusUnsupported : StatusIoErr;
            if (status == StatusIoErr)
            {
                IoErrors++;
                IoFailed?.Invoke(error);
            }
        }
        Ram.Write(statusSeg.Address + statusSeg.Length - 1, [status]);
        var q = Queues[0];
        q.Push(r.Chain.Head, written);
        NotifyUsed(q);
    }
}
