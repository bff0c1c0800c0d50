using Vm.Engine.Devices.Pci;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// What the legacy (<see cref="VirtioPciDevice"/>) and modern (<see cref="VirtioPciModernDevice"/>)
/// virtio-pci transports share: the queues, the device status, the interrupt (ISR byte and an INTx
/// line, acknowledged by reading ISR: virtio 1.0 §4.1.4.5), and the error path that stops a device
/// the driver misused. The transports differ in their register layout and feature width.
/// </summary>
public abstract class VirtioPciTransport : PciFunction, IPolledDevice
{
    public const ushort VendorId = 0x1AF4;
    public const byte StatusAcknowledge = 1, StatusDriver = 2, StatusDriverOk = 4, StatusFeaturesOk = 8, StatusNeedsReset = 0x40, StatusFailed = 0x80;

    protected readonly GuestRam Ram;
    private readonly IInterruptLine _irq;
    protected readonly Virtqueue[] Queues;

    // Transport state: plain fields, so a snapshot can save them.
    public byte Status;
    public byte Isr;
    public ushort QueueSelect;

    /// <summary>The last protocol error the driver caused (the device stopped until reset), for the host to show.</summary>
    public string? LastError { get; protected set; }

    public Action? Wake { get; set; }

    protected VirtioPciTransport(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort pciDevice, uint classCode,
        byte revision, ushort subsystem, ushort[] queueSizes, uint ioBarSize, ushort ioBase)
        : base(VendorId, pciDevice, classCode, revision, subsystemVendor: VendorId, subsystem: subsystem)
    {
        Ram = ram;
        _irq = irq;
        Queues = queueSizes.Select(s => new Virtqueue(ram, s)).ToArray();
        DefineIoBar(0, ioBarSize, ioBase);
        DefineInterrupt(irqNumber);
        Config[Command] = CommandIo | CommandBusMaster;
    }

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

    protected Virtqueue? Selected => QueueSelect < Queues.Length ? Queues[QueueSelect] : null;

    /// <summary>Tells the driver that used buffers are waiting (unless it asked not to be interrupted).</summary>
    protected void NotifyUsed(Virtqueue q)
    {
        if (q.InterruptSuppressed) return;
        Isr |= 1;
        _irq.Set(true);
    }

    /// <summary>Runs <paramref name="work"/> if the driver is ready; a protocol error stops the device (<see cref="Fail"/>).</summary>
    protected void Guarded(Action work)
    {
        if (!DriverOk) return;
        try
        {
            work();
        }
        catch (VirtioException e)
        {
            Fail(e.Message);
        }
    }

    /// <summary>Stops the device until the driver resets it (NEEDS_RESET, a configuration-change interrupt) and records why.</summary>
    protected void Fail(string message)
    {
        LastError = message;
        Status |= StatusNeedsReset;
        Isr |= 2;
        _irq.Set(true);
    }

    /// <summary>The driver read the ISR register: that acknowledges the interrupt.</summary>
    protected byte ReadIsr()
    {
        byte v = Isr;
        Isr = 0;
        _irq.Set(false);
        return v;
    }

    /// <summary>The driver notified queue <paramref name="index"/>.</summary>
    protected void Notify(int index)
    {
        if (index < Queues.Length && Queues[index].Ready) Guarded(() => QueueNotified(index));
    }

    /// <summary>A non-zero status write; the device starts when it reaches DRIVER_OK.</summary>
    protected void SetStatus(byte value)
    {
        bool wasOk = DriverOk;
        Status = value;
        if (!wasOk && DriverOk) Guarded(DriverReady);
    }

    /// <summary>Status 0: the transport's state and the queues back to power-on, then the device type's.</summary>
    protected void ResetTransport()
    {
        Status = 0;
        QueueSelect = 0;
        Isr = 0;
        LastError = null;
        _irq.Set(false);
        foreach (var q in Queues) q.Reset();
        DeviceReset();
    }
}
