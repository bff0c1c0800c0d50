namespace Vm.Engine.Devices;

/// <summary>An interrupt request line as a device sees it: it only raises or lowers its level.</summary>
public interface IInterruptLine
{
    void Set(bool level);
}

/// <summary>A device that owns I/O ports. It never sees the CPU.</summary>
public interface IPortDevice
{
    IEnumerable<ushort> Ports { get; }
    byte In8(ushort port);
    void Out8(ushort port, byte value);
}

/// <summary>The machine's time source in nanoseconds.</summary>
public interface IClock
{
    ulong NowNs { get; }
}

/// <summary>A device that needs time to pass (timers). NextEventNs is when it next wants Tick.</summary>
public interface IClocked
{
    ulong NextEventNs { get; }
    void Tick(ulong nowNs);
}

/// <summary>Port dispatch: one device reference per port; unclaimed ports read all ones.</summary>
public sealed class IoBus
{
    private readonly IPortDevice?[] _ports = new IPortDevice?[65536];

    public void Register(IPortDevice device)
    {
        foreach (var p in device.Ports)
        {
            _ports[p] = device;
        }
    }

    public byte In8(ushort port) => _ports[port]?.In8(port) ?? 0xFF;

    public void Out8(ushort port, byte value) => _ports[port]?.Out8(port, value);

    public uint In(ushort port, int bytes)
    {
        uint v = 0;
        for (int i = 0; i < bytes; i++)
        {
            v |= (uint)In8((ushort)(port + i)) << (8 * i);
        }
        return v;
    }

    public void Out(ushort port, uint value, int bytes)
    {
        for (int i = 0; i < bytes; i++)
        {
            Out8((ushort)(port + i), (byte)(value >> (8 * i)));
        }
    }
}
