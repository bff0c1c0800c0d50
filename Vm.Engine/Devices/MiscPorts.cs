namespace Vm.Engine.Devices;

/// <summary>
/// Harmless legacy ports: POST codes (0x80), the I/O delay port (0xED), and port 0x92
/// (fast A20; bit 0 resets the machine).
/// </summary>
public sealed partial class MiscPorts(Action reset) : IPortDevice
{
    private byte _p92;

    public IEnumerable<ushort> Ports => [0x80, 0xED, 0x92];

    public byte In8(ushort port) => port == 0x92 ? _p92 : (byte)0xFF;

    public void Out8(ushort port, byte value)
    {
        if (port == 0x92)
        {
            if ((value & 1) != 0) reset();
            _p92 = (byte)(value & 0xFE);
        }
    }
}
