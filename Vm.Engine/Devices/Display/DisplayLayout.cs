namespace Vm.Engine.Devices.Display;

/// <summary>Where the framebuffer goes in the guest-physical address space: right after the usable RAM.</summary>
public static class DisplayLayout
{
    /// <summary>The largest physical memory the machine maps (PhysicalMemory's limit).</summary>
    public const ulong MaxPhysicalBytes = 0xF0000000u;

    /// <summary>RAM plus the framebuffer's region; a clear error when the two do not fit together.</summary>
    public static uint PhysicalBytes(uint ramBytes, DisplayMode? display)
    {
        if (display == null) return ramBytes;
        ulong total = (ulong)ramBytes + display.ReservedPhysicalBytes;
        if (total > MaxPhysicalBytes)
            throw new DisplayModeException(
                $"{ramBytes >> 20} MiB of RAM plus a {display} framebuffer ({display.RegionBytes >> 10} KiB) exceed the {MaxPhysicalBytes >> 20} MiB of physical address space; use less RAM or a smaller mode.");
        return (uint)total;
    }
}
