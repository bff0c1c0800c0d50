using Vm.Engine.Devices.Display;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.Display;

/// <summary>
/// One booted guest with a display, shared by a test class: the kernel's messages go to the
/// display's console (tty0) and the serial port; /dev/console, the tests' shell, is the serial port
/// (named last).
/// </summary>
public abstract class DisplayGuestFixture : IDisposable
{
    public const string Cmdline = "console=tty0 console=ttyS0 cryptomgr.notests noisapnp";
    public GuestSession Guest { get; }

    protected DisplayGuestFixture(DisplayMode display)
    {
        Guest = new GuestSession(Cmdline, 128u << 20, c => c with { Display = display });
        Guest.WaitFor(GuestSession.Marker, TimeSpan.FromMinutes(8));
        Guest.WaitFor("# ", TimeSpan.FromSeconds(60));
    }

    public void Dispose()
    {
        Guest.Dispose();
        GC.SuppressFinalize(this);
    }
}
