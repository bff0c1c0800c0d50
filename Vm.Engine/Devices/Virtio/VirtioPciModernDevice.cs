using System.Buffers.Binary;
using Vm.Engine.Devices.Pci;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// The modern virtio-pci transport (virtio 1.0 §4.1.4) for device types that exist only as 1.0
/// devices (virtio-input, virtio-gpu: their Linux drivers refuse a device without
/// VIRTIO_F_VERSION_1, which the legacy interface cannot offer). The spec lets the capabilities
/// point into I/O BARs as well as memory BARs, and Linux's virtio_pci_modern maps either; this
/// machine has no MMIO dispatch, so all four structures live in one I/O BAR:
/// common configuration at 0x00, ISR at 0x40, notifications at 0x44 (one address for every
/// queue: notify_off_multiplier 0), device configuration at 0x100. INTx only, as for the legacy
/// devices (no MSI-X without a local APIC).
/// </summary>
public abstract partial class VirtioPciModernDevice : VirtioPciTransport
{
    public const ulong FeatureVersion1 = 1UL << 32;
    private const int CommonAt = 0x00, CommonSize = 0x40, IsrAt = 0x40, NotifyAt = 0x44, DeviceAt = 0x100, BarSize = 0x200;
    private const byte CapVendor = 0x09, CfgCommon = 1, CfgNotify = 2, CfgIsr = 3, CfgDevice = 4;

    private readonly ushort[] _maxSizes;

    // Transport state: plain fields, so a snapshot can save them.
    public ulong DriverFeatures;
    public uint DeviceFeatureSelect, DriverFeatureSelect;
    /// <summary>Bytes of multi-byte registers as the driver writes them (a byte at a time, lowest first).</summary>
    private readonly byte[] _latch = new byte[CommonSize];

    protected VirtioPciModernDevice(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort virtioType, uint classCode,
        ushort ioBase, ushort[] queueSizes)
        : base(ram, irq, irqNumber, (ushort)(0x1040 + virtioType), classCode, revision: 1, subsystem: 0x40, queueSizes, BarSize, ioBase)
    {
        _maxSizes = queueSizes.ToArray();
        // Capability list (PCI 3.0 §6.7): status bit 4 and the pointer at 0x34; virtio_pci_cap (§4.1.4).
        Config[0x06] |= 0x10;
        Config[0x34] = 0x40;
        WriteCap(0x40, next: 0x50, CfgCommon, CommonAt, CommonSize);
        WriteCap(0x50, next: 0x60, CfgIsr, IsrAt, 1);
        WriteCap(0x60, next: 0x78, CfgNotify, NotifyAt, 2, notifyMultiplier: 0);
        WriteCap(0x78, next: 0, CfgDevice, DeviceAt, BarSize - DeviceAt);
    }

    private void WriteCap(int at, byte next, byte type, int offset, int length, uint? notifyMultiplier = null)
    {
        Config[at] = CapVendor;
        Config[at + 1] = next;
        Config[at + 2] = (byte)(notifyMultiplier is null ? 16 : 20);
        Config[at + 3] = type;
        Config[at + 4] = 0; // BAR 0
        BinaryPrimitives.WriteUInt32LittleEndian(Config.AsSpan(at + 8), (uint)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(Config.AsSpan(at + 12), (uint)length);
        if (notifyMultiplier is { } m) BinaryPrimitives.WriteUInt32LittleEndian(Config.AsSpan(at + 16), m);
    }

    /// <summary>Feature bits the device offers besides VIRTIO_F_VERSION_1 (always offered).</summary>
    protected virtual ulong DeviceFeatures => 0;
    private ulong OfferedFeatures => DeviceFeatures | FeatureVersion1;

    public override byte IoRead(int bar, int offset)
    {
        if (offset >= DeviceAt) return ReadDeviceConfig(offset - DeviceAt);
        if (offset == IsrAt) return ReadIsr();
        if (offset >= CommonSize) return 0;
        var q = Selected;
        return offset switch
        {
            < 0x04 => Byte(DeviceFeatureSelect, offset),
            < 0x08 => Byte(DeviceFeatureSelect < 2 ? (uint)(OfferedFeatures >> (32 * (int)DeviceFeatureSelect)) : 0, offset - 0x04),
            < 0x0C => Byte(DriverFeatureSelect, offset - 0x08),
            < 0x10 => Byte(DriverFeatureSelect < 2 ? (uint)(DriverFeatures >> (32 * (int)DriverFeatureSelect)) : 0, offset - 0x0C),
            < 0x12 => 0xFF, // config_msix_vector: VIRTIO_MSI_NO_VECTOR
            < 0x14 => Byte((uint)Queues.Length, offset - 0x12),
            0x14 => Status,
            0x15 => 0, // config_generation: the configuration never changes under the driver
            < 0x18 => Byte(QueueSelect, offset - 0x16),
            < 0x1A => Byte(q?.Size ?? 0, offset - 0x18),
            < 0x1C => 0xFF, // queue_msix_vector: none
            < 0x1E => Byte(q is { Enabled: true } ? 1u : 0u, offset - 0x1C),
            < 0x20 => 0, // queue_notify_off: every queue notifies at the same address
            < 0x28 => Byte64(q?.DescAddress ?? 0, offset - 0x20),
            < 0x30 => Byte64(q?.DriverAddress ?? 0, offset - 0x28),
            < 0x38 => Byte64(q?.DeviceAddress ?? 0, offset - 0x30),
            _ => 0,
        };
    }

    private static byte Byte(uint v, int i) => (byte)(v >> (8 * i));
    private static byte Byte64(ulong v, int i) => (byte)(v >> (8 * i));

    public override void IoWrite(int bar, int offset, byte value)
    {
        if (offset >= DeviceAt)
        {
            WriteDeviceConfig(offset - DeviceAt, value);
            return;
        }
        if (offset is NotifyAt or NotifyAt + 1)
        {
            _latch[0x3E + offset - NotifyAt] = value;
            if (offset == NotifyAt + 1) Notify(_latch[0x3E] | (_latch[0x3F] << 8));
            return;
        }
        if (offset >= CommonSize) return;
        _latch[offset] = value;
        var q = Selected;
        switch (offset)
        {
            case 0x03: DeviceFeatureSelect = Latched32(0x00); break;
            case 0x0B: DriverFeatureSelect = Latched32(0x08); break;
            case 0x0F:
                if (DriverFeatureSelect < 2 && (Status & StatusFeaturesOk) == 0)
                {
                    int shift = 32 * (int)DriverFeatureSelect;
                    DriverFeatures = (DriverFeatures & ~(0xFFFFFFFFUL << shift)) | ((ulong)Latched32(0x0C) << shift);
                    DriverFeatures &= OfferedFeatures;
                }
                break;
            case 0x14: WriteStatus(value); break;
            case 0x17: QueueSelect = (ushort)(_latch[0x16] | (_latch[0x17] << 8)); break;
            case 0x19:
                // The driver may shrink a queue (a power of two no larger than the device's maximum).
                ushort size = (ushort)(_latch[0x18] | (_latch[0x19] << 8));
                if (q is { Enabled: false } && size != 0 && (size & (size - 1)) == 0 && size <= q.Size) q.Size = size;
                break;
            case 0x1D:
                if (q is { Enabled: false } && (_latch[0x1C] & 1) != 0) EnableQueue(q);
                break;
            case 0x27: if (q is { Enabled: false }) q.DescAddress = Latched64(0x20); break;
            case 0x2F: if (q is { Enabled: false }) q.DriverAddress = Latched64(0x28); break;
            case 0x37: if (q is { Enabled: false }) q.DeviceAddress = Latched64(0x30); break;
        }
    }

    private uint Latched32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(_latch.AsSpan(at));
    private ulong Latched64(int at) => BinaryPrimitives.ReadUInt64LittleEndian(_latch.AsSpan(at));

    private void EnableQueue(Virtqueue q)
    {
        // §2.6: descriptor table 16 bytes per entry, available ring 6 + 2n, used ring 6 + 8n.
        if (!Ram.Contains(q.DescAddress, 16UL * q.Size) || !Ram.Contains(q.DriverAddress, 6UL + 2UL * q.Size) ||
            !Ram.Contains(q.DeviceAddress, 6UL + 8UL * q.Size))
        {
            Fail($"queue {QueueSelect} lies outside RAM");
            return;
        }
        q.Enabled = true;
    }

    private void WriteStatus(byte value)
    {
        if (value == 0)
        {
            Reset();
            return;
        }
        // §3.1.1: FEATURES_OK sticks only when the driver accepted VIRTIO_F_VERSION_1.
        if ((value & StatusFeaturesOk) != 0 && (DriverFeatures & FeatureVersion1) == 0)
            value &= unchecked((byte)~StatusFeaturesOk);
        SetStatus(value);
    }

    private void Reset()
    {
        DriverFeatures = 0;
        DeviceFeatureSelect = DriverFeatureSelect = 0;
        Array.Clear(_latch);
        for (int i = 0; i < Queues.Length; i++) Queues[i].Size = _maxSizes[i];
        ResetTransport();
    }
}
