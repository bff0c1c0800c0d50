using System.Buffers.Binary;
using System.Text;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// virtio-console with VIRTIO_CONSOLE_F_MULTIPORT (virtio 1.0 §5.3): port 0 is a console (the
/// guest's hvc0), ports 1.. carry names (e.g. <c>org.webvm.submit</c>). Queues: port 0 rx/tx = 0/1,
/// control rx/tx = 2/3, port n rx/tx = 2n+2/2n+3. The control protocol (§5.3.6.2): the driver says
/// DEVICE_READY, the device announces each port (DEVICE_ADD), the driver answers PORT_READY, and the
/// device tells it which port is the console, each port's name and whether the host end is open.
/// </summary>
public sealed partial class VirtioConsole : VirtioPciDevice
{
    private const uint FeatureMultiport = 1 << 1;
    private const ushort DeviceReadyMsg = 0, DeviceAdd = 1, PortReady = 3, ConsolePortMsg = 4, PortOpen = 6, PortName = 7;
    private const int ControlRx = 2, ControlTx = 3;

    private readonly ConsolePort[] _ports;
    private readonly Queue<byte[]> _controlOut = new();
    private volatile bool _hostWork;

    public VirtioConsole(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort ioBase, IReadOnlyList<string> portNames)
        : base(ram, irq, irqNumber, virtioType: 3, classCode: 0x078000, ioBase,
            queueSizes: Enumerable.Repeat((ushort)128, 2 * (portNames.Count + 1) + 2).ToArray(), configSize: 12)
    {
        _ports = new ConsolePort[portNames.Count + 1];
        _ports[0] = new ConsolePort(0, null);
        for (int i = 0; i < portNames.Count; i++) _ports[i + 1] = new ConsolePort((uint)i + 1, portNames[i]);
        foreach (var p in _ports)
        {
            p.Changed = () =>
            {
                _hostWork = true;
                Wake?.Invoke();
            };
        }
    }

    public IReadOnlyList<ConsolePort> Ports => _ports;

    /// <summary>The console port (hvc0).</summary>
    public ConsolePort Console => _ports[0];

    /// <summary>The port with this name, or null.</summary>
    public ConsolePort? Port(string name) => _ports.FirstOrDefault(p => p.Name == name);

    protected override uint DeviceFeatures => FeatureMultiport | FeatureIndirectDesc;

    protected override byte ReadDeviceConfig(int offset)
    {
        Span<byte> cfg = stackalloc byte[12];
        // cols, rows = 0 (no size feature); max_nr_ports; emerg_wr = 0.
        Put32(cfg, 4, (uint)_ports.Length);
        return ConfigByte(cfg, offset);
    }

    private static int RxQueue(uint port) => port == 0 ? 0 : 2 * (int)port + 2;

    protected override void DeviceReset()
    {
        _controlOut.Clear();
        foreach (var p in _ports)
        {
            if (p.GuestOpen)
            {
                p.GuestOpen = false;
                p.RaiseGuestOpenChanged(false);
            }
            p.HostOpenAnnounced = false;
            p.Ready = false;
        }
    }

    protected override void QueueNotified(int queue)
    {
        if (queue == ControlTx) HandleControl();
        else if (queue != ControlRx && (queue & 1) == 1) HandleTransmit(queue);
        Deliver();
    }

    public override void Poll()
    {
        if (!_hostWork) return;
        _hostWork = false;
        Guarded(Deliver);
    }

    private uint PortOfTx(int queue) => queue == 1 ? 0u : (uint)(queue - 3) / 2;

    private void HandleTransmit(int queue)
    {
        var q = Queues[queue];
        var port = _ports[PortOfTx(queue)];
        bool any = false;
        while (q.Pop() is { } chain)
        {
            port.RaiseReceived(chain.ReadAll(Ram));
            q.Push(chain.Head, 0);
            any = true;
        }
        if (any) NotifyUsed(q);
    }

    private void HandleControl()
    {
        var q = Queues[ControlTx];
        bool any = false;
        while (q.Pop() is { } chain)
        {
            byte[] msg = chain.ReadAll(Ram);
            q.Push(chain.Head, 0);
            any = true;
            if (msg.Length < 8) continue;
            uint id = BinaryPrimitives.ReadUInt32LittleEndian(msg);
            ushort ev = BinaryPrimitives.ReadUInt16LittleEndian(msg.AsSpan(4));
            ushort value = BinaryPrimitives.ReadUInt16LittleEndian(msg.AsSpan(6));
            switch (ev)
            {
                case DeviceReadyMsg when value == 1:
                    foreach (var p in _ports) SendControl(p.Id, DeviceAdd, 1);
                    break;
                case PortReady when value == 1 && id < _ports.Length:
                {
                    var p = _ports[id];
                    p.Ready = true;
                    if (p.IsConsole) SendControl(p.Id, ConsolePortMsg, 1);
                    if (p.Name != null) SendControl(p.Id, PortName, 0, Encoding.UTF8.GetBytes(p.Name));
                    p.HostOpenAnnounced = p.HostOpen;
                    if (p.HostOpen) SendControl(p.Id, PortOpen, 1);
                    break;
                }
                case PortOpen when id < _ports.Length:
                {
                    var p = _ports[id];
                    bool open = value != 0;
                    if (p.GuestOpen != open)
                    {
                        p.GuestOpen = open;
                        p.RaiseGuestOpenChanged(open);
                    }
                    break;
                }
            }
        }
        if (any) NotifyUsed(q);
    }

    private void SendControl(uint id, ushort ev, ushort value, byte[]? tail = null)
    {
        var msg = new byte[8 + (tail?.Length ?? 0)];
        BinaryPrimitives.WriteUInt32LittleEndian(msg, id);
        BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(4), ev);
        BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(6), value);
        tail?.CopyTo(msg, 8);
        _controlOut.Enqueue(msg);
    }

    /// <summary>Moves pending control messages and host bytes into the buffers the driver has posted.</summary>
    private void Deliver()
    {
        // Host-side open/close changes become PORT_OPEN messages once the port is announced.
        foreach (var p in _ports)
        {
            if (p.Ready && p.HostOpenAnnounced != p.HostOpen)
            {
                p.HostOpenAnnounced = p.HostOpen;
                SendControl(p.Id, PortOpen, (ushort)(p.HostOpen ? 1 : 0));
            }
        }
        var cq = Queues[ControlRx];
        bool controlUsed = false;
        while (_controlOut.Count > 0 && cq.Ready && cq.Pop() is { } chain)
        {
            byte[] msg = _controlOut.Dequeue();
            cq.Push(chain.Head, chain.WriteAll(Ram, msg));
            controlUsed = true;
        }
        if (controlUsed) NotifyUsed(cq);

        foreach (var p in _ports)
        {
            var rq = Queues[RxQueue(p.Id)];
            // Linux discards what reaches a closed port (virtio_console.c, in_intr): hold bytes
            // for a named port until a guest program opens it. The console port is always open.
            if (!rq.Ready || !(p.IsConsole || p.GuestOpen)) continue;
            bool used = false;
            while (p.PendingToGuest > 0 && rq.HasAvailable)
            {
                var chain = rq.Pop()!;
                var buf = new byte[Math.Min(chain.WritableLength, 64 * 1024)];
                int n = p.TakeForGuest(buf);
                rq.Push(chain.Head, chain.WriteAll(Ram, buf.AsSpan(0, n)));
                used = true;
            }
            if (used) NotifyUsed(rq);
        }
    }
}
