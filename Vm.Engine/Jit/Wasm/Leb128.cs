namespace Vm.Engine.Jit.Wasm;

/// <summary>LEB128, the variable-length integers of the wasm binary format (spec §5.2.2).</summary>
public static class Leb128
{
    public static void WriteUnsigned(List<byte> o, ulong v)
    {
        do
        {
            byte b = (byte)(v & 0x7F);
            v >>= 7;
            if (v != 0) b |= 0x80;
            o.Add(b);
        } while (v != 0);
    }

    public static void WriteSigned(List<byte> o, long v)
    {
        while (true)
        {
            byte b = (byte)(v & 0x7F);
            v >>= 7;
            // Done when the remaining bits are all copies of the sign bit just written.
            bool done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
            if (done)
            {
                o.Add(b);
                return;
            }
            o.Add((byte)(b | 0x80));
        }
    }
}
