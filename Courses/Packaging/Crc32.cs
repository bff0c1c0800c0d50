namespace CoursePackages.Packaging;

/// <summary>
/// CRC-32 as zip files use it (APPNOTE 4.4.7: the IEEE 802.3 polynomial, reflected). The runtime stops
/// an entry's stream at the size its headers claim, so a zip whose headers understate a huge entry
/// reads as a short, silently truncated file; the checksum over what came out is what tells.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = CreateTable();

    public static uint Of(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
