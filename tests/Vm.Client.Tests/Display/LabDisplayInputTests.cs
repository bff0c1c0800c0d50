#pragma warning disable BL0005 // the display's parameters are set directly: no renderer in these tests
using Vm.Client.Display;
using Vm.Engine;
using Vm.Engine.Devices.Display;

namespace Vm.Client.Tests.Display;

/// <summary>
/// What the canvas's events become on the machine's input devices. The machine has not booted, so
/// the devices drop what they get and count it: the count is what the display sent.
/// </summary>
public sealed class LabDisplayInputTests : IDisposable
{
    private readonly Machine _machine = new(new MachineConfig { MemoryBytes = 32u << 20, Display = new DisplayMode(640, 480) });
    private readonly LabDisplay _display;

    public LabDisplayInputTests() => _display = new LabDisplay { Keyboard = _machine.Keyboard, Tablet = _machine.Tablet, AcceptInput = true };

    private long KeyboardEvents { get { _machine.Keyboard!.Poll(); return _machine.Keyboard.Dropped; } }
    private long TabletEvents { get { _machine.Tablet!.Poll(); return _machine.Tablet.Dropped; } }

    [Fact]
    public void OnKey_KnownKey_SendsTheKeyAndASync()
    {
        _display.OnKey("KeyA", true);
        Assert.Equal(2, KeyboardEvents);
    }

    [Fact]
    public void OnKey_KeyTheKeyboardLacks_SendsNothing()
    {
        _display.OnKey("LaunchMail", true);
        Assert.Equal(0, KeyboardEvents);
    }

    [Fact]
    public void OnKey_WhilePaused_SendsNothing()
    {
        _display.AcceptInput = false;
        _display.OnKey("KeyA", true);
        Assert.Equal(0, KeyboardEvents);
    }

    [Fact]
    public void OnKey_ReleaseOfAKeyNeverPressedHere_SendsNothing()
    {
        _display.OnKey("KeyA", false);
        Assert.Equal(0, KeyboardEvents);
    }

    [Fact]
    public void OnBlur_ReleasesTheKeysStillHeld()
    {
        _display.OnKey("ShiftLeft", true);
        _display.OnKey("KeyA", true);
        _display.OnBlur();
        Assert.Equal(8, KeyboardEvents);
        _display.OnBlur();
        Assert.Equal(8, KeyboardEvents);
    }

    [Fact]
    public void OnPointer_MoveThenPress_SendsPositionAndTheButtonChange()
    {
        _display.OnPointer(0.5, 0.25, 0);
        Assert.Equal(3, TabletEvents); // ABS_X, ABS_Y, SYN
        _display.OnPointer(0.5, 0.25, 1);
        Assert.Equal(3 + 3 + 2, TabletEvents); // the position again, BTN_LEFT down + SYN
    }

    public void Dispose() => _machine.Dispose();
}
