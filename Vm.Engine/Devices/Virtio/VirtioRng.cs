using System.Security.Cryptography;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// virtio-rng (entropy device, virtio 1.0 §5.4): one queue of device-writable buffers that the
/// device fills from <paramref name="fill"/> — the host's CSPRNG by default, or a seeded generator
/// (<see cref="Seeded"/>) when a run must repeat exactly. Linux's virtio_rng makes it /dev/hwrng.
/// </summary>
public sealed partial class VirtioRng(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort ioBase, Action<Span<byte>>? fill = null)
    : VirtioPciDevice(ram, irq, irqNumber, virtioType: 4, classCode: 0x00FF00, ioBase, queueSizes: [64], configSize: 0)
{
    private readonly Action<Span<byte>> _fill = fill ?? RandomNumberGenerator.Fill;

    /// <summary>Bytes handed to the guest so far.</summary>
    public long BytesServed;

    /// <summary>A repeatable byte source for deterministic runs.</summary>
    public static Action<Span<byte>> Seeded(int seed)
    {
        var random = new Random(seed);
        return random.NextBytes;
    }

    protected override uint DeviceFeatures => 0;

    protected override byte ReadDeviceConfig(int offset) => 0;

    protected override void QueueNotified(int queue)
    {
        var q = Queues[0];
        bool any = false;
        while (q.Pop() is { } chain)
        {
            var bytes = new byte[Math.Min(chain.WritableLength, 64 * 1024)];
            _fill(bytes);
            uint written = chain.WriteAll(Ram, bytes);
            BytesServed += written;
            q.Push(chain.Head, written);
            any = true;
        }
        if (any) NotifyUsed(q);
    }
}
