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
public abstract partial class VirtioPciDevice : VirtioPciTransport
{
    private const int RegHostFeatures = 0, RegGuestFeatures = 4, RegQueuePfn = 8, RegQueueSize = 12, RegQueueSelect = 14,
        RegQueueNotify = 16, RegStatus = 18, RegIsr = 19, DeviceConfigStart = 20;
    public const uint FeatureIndirectDesc = 1u << 28;

    // Transport state: plain fields, so a snapshot can save them.
    public uint DriverFeatures;
    private uint _pfnLatch;
    private ushort _notifyLatch;

    protected VirtioPciDevice(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort virtioType, uint classCode,
        ushort ioBase, ushort[] queueSizes, int configSize)
        : base(ram, irq, irqNumber, (ushort)(0x1000 + LegacyIdOffset(virtioType)), classCode, revision: 0, subsystem: virtioType,
            queueSizes, LegacyBarSize(configSize), ioBase)
    {
    }

    // The common registers and the device configuration, rounded up to a power of two (BARs are naturally aligned).
    private static uint LegacyBarSize(int configSize)
    {
        uint size = 32;
        while (size < DeviceConfigStart + configSize) size <<= 1;
        return size;
    }

    // Transitional IDs (virtio 1.0 §4.1.2.1): net 0x1000, block 0x1001, console 0x1003, entropy 0x1005.
    private static int LegacyIdOffset(ushort type) => type switch
    {
        1 => 0, 2 => 1, 3 => 3, 4 => 5, 5 => 2, 8 => 4, 9 => 9,
        _ => throw new ArgumentException($"virtio type {type} has no legacy PCI id"),
    };

    /// <summary>Feature bits the device offers (the low 32: a legacy driver sees no more).</summary>
    protected abstract uint DeviceFeatures { get; }

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
                    case RegIsr: return ReadIsr();
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
                Notify(_notifyLatch | (value << 8));
                break;
            case RegStatus:
                if (value != 0)
                {
                    SetStatus(value);
                    break;
                }
                DriverFeatures = 0;
                ResetTransport();
                break;
        }
    }

    protected static byte ConfigByte(ReadOnlySpan<byte> config, int offset) => offset < config.Length ? config[offset] : (byte)0;

    protected static void Put32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);
}
