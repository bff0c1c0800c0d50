using System.Security.Cryptography;
using System.Text;

namespace Vm.Engine.Snapshots;

/// <summary>
/// The snapshot file: a header, named sections, and a SHA-256 of everything before it.
/// <code>
/// "WEBVMSNP" (8 bytes) | format version u16 | metadata: count u16, (key, value) strings
/// | section count u16 | per section: name string, layout version u16, length i32, payload
/// | SHA-256 (32 bytes) of all preceding bytes
/// </code>
/// Integers are little-endian, strings are BinaryWriter's length-prefixed UTF-8. Each section is
/// read from its own bounded payload, so a device that reads too little or too much is caught
/// with its name instead of corrupting the sections after it.
/// </summary>
public static class SnapshotFormat
{
    public static ReadOnlySpan<byte> Magic => "WEBVMSNP"u8;
    public const int Version = 1;
    private const int HashBytes = 32;

    public static byte[] Write(IReadOnlyDictionary<string, string> metadata, IEnumerable<ISnapshotState> parts)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write((ushort)Version);
            w.Write((ushort)metadata.Count);
            foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.Write(k);
                w.Write(v);
            }
            var list = parts.ToList();
            w.Write((ushort)list.Count);
            foreach (var part in list)
            {
                using var payload = new MemoryStream();
                using (var pw = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true)) part.SaveState(pw);
                w.Write(part.SnapshotSection);
                w.Write((ushort)part.SnapshotVersion);
                w.Write(checked((int)payload.Length));
                payload.Position = 0;
                w.Flush();
                payload.CopyTo(body);
            }
        }
        byte[] hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));
        body.Write(hash);
        return body.ToArray();
    }

    /// <summary>The metadata of a snapshot, after checking its format, version and hash.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(byte[] file) => Parse(file).Metadata;

    /// <summary>
    /// Checks the file, lets <paramref name="checkMetadata"/> refuse it (by throwing) before anything
    /// changes, and restores every part from its section. One pass of the hash over the file: in the
    /// browser, SHA-256 of a 20 MB snapshot on the WebAssembly interpreter costs seconds.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Restore(byte[] file, IEnumerable<ISnapshotState> parts,
        Action<IReadOnlyDictionary<string, string>>? checkMetadata = null)
    {
        var parsed = Parse(file);
        checkMetadata?.Invoke(parsed.Metadata);
        var byName = parsed.Sections.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var expected = parts.ToList();
        // Check coverage before changing anything, so a mismatched snapshot leaves the machine as it was.
        foreach (var part in expected)
        {
            if (!byName.ContainsKey(part.SnapshotSection))
                throw new SnapshotException($"The snapshot has no '{part.SnapshotSection}' section: it was saved from a machine without that device.");
        }
        foreach (var s in parsed.Sections)
        {
            if (!expected.Any(p => p.SnapshotSection == s.Name))
                throw new SnapshotException($"The snapshot has a '{s.Name}' section this machine has no device for.");
        }
        foreach (var part in expected)
        {
            var s = byName[part.SnapshotSection];
            if (s.Version > part.SnapshotVersion)
                throw new SnapshotException($"Section '{s.Name}' has layout version {s.Version}; this engine reads up to {part.SnapshotVersion}.");
            using var r = new BinaryReader(new MemoryStream(file, s.Offset, s.Length, writable: false), Encoding.UTF8);
            try
            {
                part.RestoreState(r, s.Version);
            }
            catch (EndOfStreamException)
            {
                throw new SnapshotException($"Section '{s.Name}' is shorter than its layout needs.");
            }
            if (r.BaseStream.Position != s.Length)
                throw new SnapshotException($"Section '{s.Name}' has {s.Length - r.BaseStream.Position} bytes its layout does not use.");
        }
        return parsed.Metadata;
    }

    private sealed record Section(string Name, int Version, int Offset, int Length);
    private sealed record Parsed(IReadOnlyDictionary<string, string> Metadata, List<Section> Sections);

    private static Parsed Parse(byte[] file)
    {
        if (file.Length < Magic.Length + 2 + HashBytes || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new SnapshotException("This is not a WebVM machine snapshot (the header is missing).");
        int version = BitConverter.ToUInt16(file, Magic.Length);
        if (version != Version)
            throw new SnapshotException($"The snapshot has format version {version}; this engine reads version {Version}. Take a new snapshot.");
        int bodyLength = file.Length - HashBytes;
        if (!SHA256.HashData(file.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(file.AsSpan(bodyLength)))
            throw new SnapshotException("The snapshot is corrupt (its SHA-256 does not match its contents).");
        try
        {
            using var r = new BinaryReader(new MemoryStream(file, 0, bodyLength, writable: false), Encoding.UTF8);
            r.BaseStream.Position = Magic.Length + 2;
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            int metaCount = r.ReadUInt16();
            for (int i = 0; i < metaCount; i++) meta[r.ReadString()] = r.ReadString();
            int count = r.ReadUInt16();
            var sections = new List<Section>(count);
            for (int i = 0; i < count; i++)
            {
                string name = r.ReadString();
                int v = r.ReadUInt16();
                int len = r.ReadInt32();
                int offset = (int)r.BaseStream.Position;
                if (len < 0 || offset + (long)len > bodyLength) throw new SnapshotException($"Section '{name}' runs past the end of the snapshot.");
                sections.Add(new Section(name, v, offset, len));
                r.BaseStream.Position = offset + len;
            }
            if (r.BaseStream.Position != bodyLength) throw new SnapshotException("The snapshot has bytes after its last section.");
            return new Parsed(meta, sections);
        }
        catch (EndOfStreamException)
        {
            throw new SnapshotException("The snapshot is truncated.");
        }
    }
}
