using System.Buffers.Binary;
using Vm.Engine.Devices.Pci;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// The legacy virtio-pci transport (virtio 1.0 §4.1.4.8, "Legacy Interfaces: A Note on PCI Device
/// Layout"): vendor 0x1AF4, device 0x1000 + n, subsystem = the virtio device type, and one I/O BAR
/// with the common registers followed by the device's configuration. Interrupts are INTx only
/// (no MSI-X: the machine has no local APIC), routed to a fixed PIC line that the Interrupt Line
/// register announces; reading the ISR register acknowledges and lowers the line.
/// Subclasses implement the device type: features, queues, configuration and queue handling.
/// </summary>
public abstract partial class VirtioPciDevice : PciFunction, IPolledDevice
{
    public const ushort VendorId = 0x1AF4;
    public const byte StatusAcknowledge = 1, StatusDriver = 2, StatusDriverOk = 4, StatusFeaturesOk = 8, StatusNeedsReset = 0x40, StatusFailed = 0x80;
    private const int RegHostFeatures = 0, RegGuestFeatures = 4, RegQueuePfn = 8, RegQueueSize = 12, RegQueueSelect = 14,
        RegQueueNotify = 16, RegStatus = 18, RegIsr = 19, DeviceConfigStart = 20;
    public const uint FeatureIndirectDesc = 1u << 28;

    protected readonly GuestRam Ram;
    private readonly IInterruptLine _irq;
    protected readonly Virtqueue[] Queues;

    // Transport state: plain fields, so a snapshot can save them.
    public uint DriverFeatures;
    public byte Status;
    public byte Isr;
    public ushort QueueSelect;
    private uint _pfnLatch;
    private ushort _notifyLatch;

    /// <summary>The last protocol error the driver caused (the device stopped until reset), for the host to show.</summary>
    public string? LastError { get; private set; }

    public Action? Wake { get; set; }

    protected VirtioPciDevice(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort virtioType, uint classCode,
        ushort ioBase, ushort[] queueSizes, int configSize)
        : base(VendorId, (ushort)(0x1000 + LegacyIdOffset(virtioType)), classCode, revision: 0, subsystemVendor: VendorId, subsystem: virtioType)
    {
        Ram = ram;
        _irq = irq;
        Queues = queueSizes.Select(s => new Virtqueue(ram, s)).ToArray();
        uint size = 32;
        while (size < DeviceConfigStart + configSize) size <<= 1;
        DefineIoBar(0, size, ioBase);
        DefineInterrupt(irqNumber);
        Config[Command] = CommandIo | CommandBusMaster;
    }

    // Transitional IDs (virtio 1.0 §4.1.2.1): net 0x1000, block 0x1001, console 0x1003, entropy 0x1005.
    private static int LegacyIdOffset(ushort type) => type switch
    {
        1 => 0, 2 => 1, 3 => 3, 4 => 5, 5 => 2, 8 => 4, 9 => 9,
        _ => throw new ArgumentException($"virtio type {type} has no legacy PCI id"),
    };

    /// <summary>Feature bits the device offers (the low 32: a legacy driver sees no more).</summary>
    protected abstract uint DeviceFeatures { get; }
    protected abstract byte ReadDeviceConfig(int offset);
    protected virtual void WriteDeviceConfig(int offset, byte value) { }
    /// <summary>The driver made buffers available on queue <paramref name="queue"/>.</summary>
    protected abstract void QueueNotified(int queue);
    /// <summary>The driver reset the device (status 0): forget all device-type state.</summary>
    protected virtual void DeviceReset() { }
    /// <summary>Status reached DRIVER_OK: the device may start using its queues (buffers posted before count too).</summary>
    protected virtual void DriverReady()
    {
        for (int i = 0; i < Queues.Length; i++)
        {
            if (Queues[i].HasAvailable) QueueNotified(i);
        }
    }

    public bool DriverOk => (Status & StatusDriverOk) != 0 && (Status & StatusNeedsReset) == 0;

    public virtual bool Busy => false;

    public virtual void Poll() { }

    /// <summary>Tells the driver that used buffers are waiting (unless it asked not to be interrupted).</summary>
    protected void NotifyUsed(Virtqueue q)
    {
        if (q.InterruptSuppressed) return;
        Isr |= 1;
        _irq.Set(true);
    }

    /// <summary>Runs <paramref name="work"/>; a protocol error stops the device (NEEDS_RESET) and is recorded.</summary>
    protected void Guarded(Action work)
    {
        if (!DriverOk) return;
        try
        {
            work();
        }
        catch (VirtioException e)
        {
            LastError = e.Message;
            Status |= StatusNeedsReset;
            Isr |= 2;
            _irq.Set(true);
        }
    }

    private Virtqueue? Selected => QueueSelect < Queues.Length ? Queues[QueueSelect] : null;

    public override byte IoRead(int bar, int offset)
    {
        if (offset >= DeviceConfigStart) return ReadDeviceConfig(offset - DeviceConfigStart);
        int shift = 8 * (offset & 3);
        switch (offset & ~3)
        {
            case RegHostFeatures: return (byte)(DeviceFeatures >> shift);
            case RegGuestFeatures: return (byte)(DriverFeatures >> shift);
            case RegQueuePfn: return (byte)((Selected?.Pfn ?? 0) >> shift);
            case RegQueueSize:
                return offset < RegQueueSelect
                    ? (byte)((Selected?.Size ?? 0) >> shift)
                    : (byte)(QueueSelect >> (8 * (offset - RegQueueSelect)));
            default: // 16..19
                switch (offset)
                {
                    case RegStatus: return Status;
                    case RegIsr:
                    {
                        // Reading ISR acknowledges the interrupt (§4.1.4.5).
                        byte v = Isr;
                        Isr = 0;
                        _irq.Set(false);
                        return v;
                    }
                    default: return 0;
                }
        }
    }

    public override void IoWrite(int bar, int offset, byte value)
    {
        if (offset >= DeviceConfigStart)
        {
            WriteDeviceConfig(offset - DeviceConfigStart, value);
            return;
        }
        int shift = 8 * (offset & 3);
        switch (offset)
        {
            case >= RegGuestFeatures and < RegGuestFeatures + 4:
                DriverFeatures = (DriverFeatures & ~(0xFFu << shift)) | ((uint)value << shift);
                DriverFeatures &= DeviceFeatures;
                break;
            case >= RegQueuePfn and < RegQueuePfn + 4:
                // The I/O bus delivers a 32-bit write lowest byte first; the queue is set up on the last one.
                _pfnLatch = (_pfnLatch & ~(0xFFu << shift)) | ((uint)value << shift);
                if (offset == RegQueuePfn + 3 && Selected is { } q)
                {
                    if (_pfnLatch == 0) q.Reset();
                    else if (!Ram.Contains((ulong)_pfnLatch * Virtqueue.LegacyAlign, 16UL * q.Size)) LastError = "queue outside RAM";
                    else q.Pfn = _pfnLatch;
                }
                break;
            case RegQueueSelect: QueueSelect = (ushort)((QueueSelect & 0xFF00) | value); break;
            case RegQueueSelect + 1: QueueSelect = (ushort)((QueueSelect & 0x00FF) | (value << 8)); break;
            case RegQueueNotify: _notifyLatch = value; break;
            case RegQueueNotify + 1:
            {
                int index = _notifyLatch | (value << 8);
                if (index < Queues.Length && Queues[index].Ready) Guarded(() => QueueNotified(index));
                break;
            }
            case RegStatus:
                if (value == 0)
                {
                    Reset();
                    break;
                }
                bool wasOk = DriverOk;
                Status = value;
                if (!wasOk && DriverOk) Guarded(DriverReady);
                break;
        }
    }

    private void Reset()
    {
        Status = 0;
        DriverFeatures = 0;
        QueueSelect = 0;
        Isr = 0;
        LastError = null;
        _irq.Set(false);
        foreach (var q in Queues) q.Reset();
        DeviceReset();
    }

    protected static byte ConfigByte(ReadOnlySpan<byte> config, int offset) => offset < config.Length ? config[offset] : (byte)0;

    protected static void Put32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);
}
