namespace Vm.Engine.Devices;

/// <summary>
/// A device whose work arrives from outside the machine's thread (host input, asynchronous disk
/// requests). The machine calls <see cref="Poll"/> from its run loop, so guest memory and
/// interrupt lines are only ever touched on that thread; <see cref="Wake"/> tells an idle
/// machine that something arrived.
/// </summary>
public interface IPolledDevice
{
    /// <summary>Finishes whatever has arrived since the last call (on the machine's thread).</summary>
    void Poll();

    /// <summary>True while host-side work the guest is waiting for is in flight (e.g. a disk read).</summary>
    bool Busy { get; }

    /// <summary>Set by the machine: call it (from any thread) when new work has arrived.</summary>
    Action? Wake { get; set; }
}
