using Vm.Engine.Devices.Display;
using Vm.Engine.Devices.Virtio;

namespace Vm.Engine.Tests.Display;

/// <summary>Types ASCII text on a virtio-input keyboard as a person would (US layout, the guest's default keymap).</summary>
public static class KeyboardTyping
{
    private const ushort LeftShift = 42;

    public static void Type(VirtioInput keyboard, string text)
    {
        foreach (char c in text)
        {
            var (code, shift) = KeyFor(c);
            ushort key = DomKeyCodes.ToLinux(code) ?? throw new ArgumentException($"no key for '{c}'");
            if (shift) keyboard.Key(LeftShift, true);
            keyboard.Key(key, true);
            keyboard.Key(key, false);
            if (shift) keyboard.Key(LeftShift, false);
        }
    }

    private static (string Code, bool Shift) KeyFor(char c) => c switch
    {
        >= 'a' and <= 'z' => ($"Key{char.ToUpperInvariant(c)}", false),
        >= '0' and <= '9' => ($"Digit{c}", false),
        ' ' => ("Space", false),
        '\n' => ("Enter", false),
        '-' => ("Minus", false),
        '/' => ("Slash", false),
        '>' => ("Period", true),
        '$' => ("Digit4", true),
        '(' => ("Digit9", true),
        ')' => ("Digit0", true),
        '*' => ("Digit8", true),
        _ => throw new ArgumentException($"no key for '{c}'"),
    };
}
