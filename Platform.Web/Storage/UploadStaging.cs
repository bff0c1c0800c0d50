namespace Platform.Web.Storage;

/// <summary>Partial files of uploads in progress, one folder per upload, until they complete.</summary>
public sealed class UploadStaging(string root)
{
    public long Length(Guid uploadId, int fileIndex)
    {
        var path = PathOf(uploadId, fileIndex);
        return File.Exists(path) ? new FileInfo(path).Length : 0;
    }

    public async Task<long> AppendAsync(Guid uploadId, int fileIndex, byte[] data, CancellationToken cancellationToken)
    {
        var path = PathOf(uploadId, fileIndex);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None);
        var before = file.Length;
        try
        {
            await file.WriteAsync(data, cancellationToken);
            await file.FlushAsync(cancellationToken);
        }
        catch (IOException)
        {
            // A chunk lands whole or not at all (a full disk mid-write): the upload resumes from a chunk boundary.
            file.SetLength(before);
            throw;
        }
        return file.Length;
    }

    public Stream OpenRead(Guid uploadId, int fileIndex) => File.OpenRead(PathOf(uploadId, fileIndex));

    public void Discard(Guid uploadId, int fileIndex) => File.Delete(PathOf(uploadId, fileIndex));

    public void DiscardAll(Guid uploadId)
    {
        var folder = Path.Combine(root, uploadId.ToString("N"));
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    public IEnumerable<Guid> Uploads() =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Select(Path.GetFileName).Select(n => Guid.TryParse(n, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty)
            : [];

    private string PathOf(Guid uploadId, int fileIndex) => Path.Combine(root, uploadId.ToString("N"), fileIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
