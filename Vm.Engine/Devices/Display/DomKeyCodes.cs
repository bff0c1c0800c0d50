namespace Vm.Engine.Devices.Display;

/// <summary>
/// A browser's KeyboardEvent.code (the physical key, whatever the layout: UI Events KeyboardEvent
/// code values) to a Linux input key code (include/uapi/linux/input-event-codes.h). The guest
/// applies its own keymap, as with a real USB keyboard, so the physical key is what must travel.
/// </summary>
public static class DomKeyCodes
{
    private static readonly Dictionary<string, ushort> Map = Build();

    /// <summary>The Linux key code for <paramref name="code"/>, or null for a key the keyboard does not have.</summary>
    public static ushort? ToLinux(string code) => Map.TryGetValue(code, out var k) ? k : null;

    private static Dictionary<string, ushort> Build()
    {
        var m = new Dictionary<string, ushort>(StringComparer.Ordinal)
        {
            ["Escape"] = 1, ["Minus"] = 12, ["Equal"] = 13, ["Backspace"] = 14, ["Tab"] = 15,
            ["BracketLeft"] = 26, ["BracketRight"] = 27, ["Enter"] = 28, ["ControlLeft"] = 29,
            ["Semicolon"] = 39, ["Quote"] = 40, ["Backquote"] = 41, ["ShiftLeft"] = 42, ["Backslash"] = 43,
            ["Comma"] = 51, ["Period"] = 52, ["Slash"] = 53, ["ShiftRight"] = 54, ["NumpadMultiply"] = 55,
            ["AltLeft"] = 56, ["Space"] = 57, ["CapsLock"] = 58, ["NumLock"] = 69, ["ScrollLock"] = 70,
            ["Numpad7"] = 71, ["Numpad8"] = 72, ["Numpad9"] = 73, ["NumpadSubtract"] = 74, ["Numpad4"] = 75,
            ["Numpad5"] = 76, ["Numpad6"] = 77, ["NumpadAdd"] = 78, ["Numpad1"] = 79, ["Numpad2"] = 80,
            ["Numpad3"] = 81, ["Numpad0"] = 82, ["NumpadDecimal"] = 83, ["IntlBackslash"] = 86,
            ["F11"] = 87, ["F12"] = 88, ["NumpadEnter"] = 96, ["ControlRight"] = 97, ["NumpadDivide"] = 98,
            ["PrintScreen"] = 99, ["AltRight"] = 100, ["Home"] = 102, ["ArrowUp"] = 103, ["PageUp"] = 104,
            ["ArrowLeft"] = 105, ["ArrowRight"] = 106, ["End"] = 107, ["ArrowDown"] = 108, ["PageDown"] = 109,
            ["Insert"] = 110, ["Delete"] = 111, ["Pause"] = 119, ["MetaLeft"] = 125, ["MetaRight"] = 126,
            ["ContextMenu"] = 127,
        };
        // Digits 1..9, 0 are KEY_1 (2) .. KEY_0 (11).
        for (int d = 1; d <= 9; d++) m[$"Digit{d}"] = (ushort)(1 + d);
        m["Digit0"] = 11;
        // Letters by their place on the keyboard rows (KEY_Q = 16 ... KEY_M = 50).
        const string rows = "QWERTYUIOP";
        for (int i = 0; i < rows.Length; i++) m[$"Key{rows[i]}"] = (ushort)(16 + i);
        const string home = "ASDFGHJKL";
        for (int i = 0; i < home.Length; i++) m[$"Key{home[i]}"] = (ushort)(30 + i);
        const string bottom = "ZXCVBNM";
        for (int i = 0; i < bottom.Length; i++) m[$"Key{bottom[i]}"] = (ushort)(44 + i);
        // F1..F10 are 59..68.
        for (int f = 1; f <= 10; f++) m[$"F{f}"] = (ushort)(58 + f);
        return m;
    }
}
