using System.Text;

namespace Vm.Client.Disk;

/// <summary>
/// Writes a POSIX tar (ustar headers, with a pax extended header where a name or link does not
/// fit ustar's fields). Our own because System.Formats.Tar throws PlatformNotSupportedException in
/// the browser, where "Download my files" runs. Output is what GNU tar, bsdtar and .NET's TarReader read.
/// </summary>
public sealed class TarArchiveWriter(Stream output)
{
    public enum EntryType : byte { File = (byte)'0', Symlink = (byte)'2', Directory = (byte)'5' }

    private const int BlockSize = 512;
    private const byte PaxHeader = (byte)'x';

    public void Write(string name, EntryType type, int mode, DateTimeOffset modified, ReadOnlySpan<byte> data = default, string linkName = "")
    {
        long mtime = Math.Max(0, modified.ToUnixTimeSeconds());
        byte[] nameBytes = Encoding.UTF8.GetBytes(name), linkBytes = Encoding.UTF8.GetBytes(linkName);
        bool fitsUstar = TrySplitName(nameBytes, out var prefix, out var shortName) && linkBytes.Length <= 100;
        if (!fitsUstar)
        {
            var pax = PaxRecords(("path", name), ("linkpath", linkName));
            WriteHeader(Encoding.ASCII.GetBytes("PaxHeaders/entry"), [], [], PaxHeader, 0b110_100_100, pax.Length, mtime);
            WriteData(pax);
            (prefix, shortName) = ([], Truncate(nameBytes, 100));
            linkBytes = Truncate(linkBytes, 100);
        }
        int size = type == EntryType.File ? data.Length : 0;
        WriteHeader(shortName, prefix, linkBytes, (byte)type, mode, size, mtime);
        if (size > 0) WriteData(data);
    }

    /// <summary>The two zero blocks that end an archive.</summary>
    public void Finish() => output.Write(new byte[2 * BlockSize]);

    private void WriteHeader(byte[] name, byte[] prefix, byte[] link, byte type, int mode, long size, long mtime)
    {
        var h = new byte[BlockSize];
        name.CopyTo(h, 0);
        Octal(h, 100, 8, mode & 0xFFF);
        Octal(h, 108, 8, 0); // uid: the archive is the student's, extracted as whoever extracts it
        Octal(h, 116, 8, 0);
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, mtime);
        h[156] = type;
        link.CopyTo(h, 157);
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        prefix.CopyTo(h, 345);
        // The checksum is summed with its own field as spaces.
        h.AsSpan(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (var b in h) sum += b;
        Octal(h, 148, 7, sum);
        output.Write(h);
    }

    private void WriteData(ReadOnlySpan<byte> data)
    {
        output.Write(data);
        int pad = (BlockSize - data.Length % BlockSize) % BlockSize;
        if (pad > 0) output.Write(new byte[pad]);
    }

    /// <summary>ustar keeps up to 100 bytes of name and 155 of prefix, split at a '/'.</summary>
    private static bool TrySplitName(byte[] name, out byte[] prefix, out byte[] shortName)
    {
        (prefix, shortName) = ([], name);
        if (name.Length <= 100) return true;
        for (int slash = Math.Min(155, name.Length - 1); slash > 0; slash--)
        {
            if (name[slash] != '/' || name.Length - slash - 1 > 100) continue;
            (prefix, shortName) = (name[..slash], name[(slash + 1)..]);
            return true;
        }
        return false;
    }

    /// <summary>pax records "LEN key=value\n", where LEN counts the whole record including its own digits.</summary>
    private static byte[] PaxRecords(params (string Key, string Value)[] records)
    {
        var all = new List<byte>();
        foreach (var (key, value) in records)
        {
            if (value.Length == 0) continue;
            int body = Encoding.UTF8.GetByteCount($" {key}={value}\n");
            int length = body + 1;
            while (length.ToString().Length + body > length) length++;
            all.AddRange(Encoding.UTF8.GetBytes($"{length} {key}={value}\n"));
        }
        return [.. all];
    }

    private static byte[] Truncate(byte[] bytes, int max) => bytes.Length <= max ? bytes : bytes[..max];

    private static void Octal(byte[] h, int offset, int width, long value)
    {
        var digits = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        Encoding.ASCII.GetBytes(digits).CopyTo(h, offset);
        h[offset + width - 1] = 0;
    }
}
