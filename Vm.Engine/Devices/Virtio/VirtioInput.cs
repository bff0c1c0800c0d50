using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// virtio-input (virtio 1.x §5.8): the host's keyboard or pointer as a Linux evdev device. The
/// device describes itself through its configuration space (name, the event types and codes it
/// can send, the range of each absolute axis); events are 8-byte virtio_input_event records
/// (type, code, value: the evdev encoding) written into buffers the driver posts on the event
/// queue, each group closed by EV_SYN/SYN_REPORT. The status queue brings LED changes back; they
/// are taken and returned. Events arrive from any thread (<see cref="Send"/>) and are delivered on
/// the machine's thread in <see cref="Poll"/>; while no driver has the device they are dropped
/// (<see cref="Dropped"/>), so a host can send before or after the guest is ready.
/// </summary>
public sealed partial class VirtioInput : VirtioPciModernDevice
{
    public const ushort EvSyn = 0, EvKey = 1, EvRel = 2, EvAbs = 3;
    public const ushort BtnLeft = 0x110, BtnRight = 0x111, BtnMiddle = 0x112;
    public const ushort AbsX = 0, AbsY = 1;
    /// <summary>The absolute axes run 0..<see cref="AbsMax"/> whatever the screen size (as QEMU's tablet does).</summary>
    public const int AbsMax = 0x7FFF;
    /// <summary>Events queued while the guest posts no buffers beyond this are dropped (oldest first).</summary>
    public const int MaxPending = 4096;
    private const byte CfgIdName = 0x01, CfgIdSerial = 0x02, CfgIdDevids = 0x03, CfgPropBits = 0x10, CfgEvBits = 0x11, CfgAbsInfo = 0x12;

    private readonly string _name;
    private readonly Dictionary<ushort, byte[]> _eventBits;
    private readonly bool _absolute;
    private readonly ConcurrentQueue<(ushort Type, ushort Code, int Value)> _incoming = new();
    private readonly Queue<(ushort Type, ushort Code, int Value)> _pending = new();
    private byte _select, _subsel;

    /// <summary>Events delivered into the guest's buffers.</summary>
    public long Delivered;
    /// <summary>Events dropped: no driver yet, or the guest stopped taking them.</summary>
    public long Dropped;

    private VirtioInput(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort ioBase, string name, Dictionary<ushort, byte[]> eventBits, bool absolute)
        : base(ram, irq, irqNumber, virtioType: 18, classCode: 0x098000, ioBase, queueSizes: [64, 64])
    {
        _name = name;
        _eventBits = eventBits;
        _absolute = absolute;
    }

    /// <summary>A keyboard with every key code up to KEY_MICMUTE (248): what a terminal and a desktop need.</summary>
    public static VirtioInput Keyboard(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort ioBase)
    {
        var keys = new byte[32];
        for (int k = 1; k <= 248; k++) keys[k / 8] |= (byte)(1 << (k % 8));
        return new VirtioInput(ram, irq, irqNumber, ioBase, "WebVM Keyboard", new() { [EvKey] = keys }, absolute: false);
    }

    /// <summary>A tablet: an absolute pointer (the canvas position) with three buttons.</summary>
    public static VirtioInput Tablet(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort ioBase)
    {
        var buttons = new byte[(BtnMiddle / 8) + 1];
        foreach (var b in new[] { BtnLeft, BtnRight, BtnMiddle }) buttons[b / 8] |= (byte)(1 << (b % 8));
        return new VirtioInput(ram, irq, irqNumber, ioBase, "WebVM Tablet", new() { [EvKey] = buttons, [EvAbs] = [0b11] }, absolute: true);
    }

    public string Name => _name;

    public override string SnapshotSection => _absolute ? "virtio-input-tablet" : "virtio-input-keyboard";

    /// <summary>Queues one evdev event (any thread). Close a group with <see cref="Sync"/>.</summary>
    public void Send(ushort type, ushort code, int value)
    {
        _incoming.Enqueue((type, code, value));
        Wake?.Invoke();
    }

    public void Sync() => Send(EvSyn, 0, 0);

    /// <summary>A key (a Linux KEY_* code) pressed or released, as one event group.</summary>
    public void Key(ushort code, bool down)
    {
        Send(EvKey, code, down ? 1 : 0);
        Sync();
    }

    /// <summary>The pointer at (x, y) in 0..<see cref="AbsMax"/>.</summary>
    public void MoveTo(int x, int y)
    {
        Send(EvAbs, AbsX, Math.Clamp(x, 0, AbsMax));
        Send(EvAbs, AbsY, Math.Clamp(y, 0, AbsMax));
        Sync();
    }

    public void Button(ushort button, bool down)
    {
        Send(EvKey, button, down ? 1 : 0);
        Sync();
    }

    public override void Poll()
    {
        if (_incoming.IsEmpty) return;
        while (_incoming.TryDequeue(out var e))
        {
            if (!DriverOk) { Dropped++; continue; }
            _pending.Enqueue(e);
        }
        while (_pending.Count > MaxPending) { _pending.Dequeue(); Dropped++; }
        Guarded(Deliver);
    }

    protected override void DriverReady()
    {
        base.DriverReady();
        Deliver();
    }

    protected override void QueueNotified(int queue)
    {
        if (queue == 0) Deliver();
        else ReturnStatus();
    }

    private void Deliver()
    {
        var q = Queues[0];
        bool any = false;
        Span<byte> evt = stackalloc byte[8];
        while (_pending.Count > 0 && q.Pop() is { } chain)
        {
            var (type, code, value) = _pending.Dequeue();
            BinaryPrimitives.WriteUInt16LittleEndian(evt, type);
            BinaryPrimitives.WriteUInt16LittleEndian(evt[2..], code);
            BinaryPrimitives.WriteInt32LittleEndian(evt[4..], value);
            uint written = chain.WriteAll(Ram, evt);
            q.Push(chain.Head, written);
            Delivered++;
            any = true;
        }
        if (any) NotifyUsed(q);
    }

    /// <summary>LED and other status events from the guest: nothing here shows them; the buffers go back.</summary>
    private void ReturnStatus()
    {
        var q = Queues[1];
        bool any = false;
        while (q.Pop() is { } chain)
        {
            q.Push(chain.Head, 0);
            any = true;
        }
        if (any) NotifyUsed(q);
    }

    protected override void DeviceReset()
    {
        Dropped += _pending.Count;
        _pending.Clear();
    }

    // virtio_input_config (§5.8.4): select, subsel, size, 5 reserved, then 128 bytes of answer.
    protected override void WriteDeviceConfig(int offset, byte value)
    {
        if (offset == 0) _select = value;
        else if (offset == 1) _subsel = value;
    }

    protected override byte ReadDeviceConfig(int offset)
    {
        var answer = Answer();
        return offset switch
        {
            0 => _select,
            1 => _subsel,
            2 => (byte)answer.Length,
            >= 8 and < 8 + 128 => offset - 8 < answer.Length ? answer[offset - 8] : (byte)0,
            _ => 0,
        };
    }

    private byte[] Answer() => _select switch
    {
        CfgIdName when _subsel == 0 => Encoding.ASCII.GetBytes(_name),
        CfgIdSerial when _subsel == 0 => Encoding.ASCII.GetBytes("webvm-0"),
        // BUS_VIRTUAL (6), vendor and product as QEMU's virtio-input does, version 1.
        CfgIdDevids when _subsel == 0 => [6, 0, 0x27, 0x06, (byte)(_absolute ? 3 : 1), 0, 1, 0],
        CfgPropBits => [],
        CfgEvBits => _eventBits.TryGetValue(_subsel, out var bits) ? bits : [],
        CfgAbsInfo when _absolute && _subsel <= AbsY => AbsInfo(0, AbsMax),
        _ => [],
    };

    private static byte[] AbsInfo(int min, int max)
    {
        var b = new byte[20]; // min, max, fuzz, flat, res
        BinaryPrimitives.WriteInt32LittleEndian(b, min);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), max);
        return b;
    }
}
