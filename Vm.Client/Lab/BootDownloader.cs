using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;

namespace Vm.Client.Lab;

/// <summary>A refusal or failure the student should read, as the page shows it.</summary>
public sealed class LabException(string message) : Exception(message);

/// <summary>
/// Fetches the machine description and its boot files. The files are addressed by content hash and
/// served immutable, so the second visit comes from the browser's cache; the hash is checked anyway,
/// because a truncated or corrupted kernel would fail much later in a way nobody could read.
/// </summary>
public sealed class BootDownloader(HttpClient http)
{
    public async Task<LabDescription> DescribeAsync(Guid assignmentId, CancellationToken cancel)
    {
        using var response = await http.GetAsync($"assignments/{assignmentId}/lab/machine.json", cancel);
        if (response.StatusCode == HttpStatusCode.Conflict)
            throw new LabException(await response.Content.ReadAsStringAsync(cancel) is { Length: > 0 } why ? why.Trim('"') : "This lab machine cannot start yet.");
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            throw new LabException("This lab is not available to you.");
        if (response.StatusCode == HttpStatusCode.Unauthorized || response.RequestMessage?.RequestUri?.AbsolutePath.Contains("/account/login", StringComparison.Ordinal) == true)
            throw new LabException("Your session has ended: sign in again.");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<LabDescription>(cancel)
            ?? throw new LabException("The portal sent an empty machine description.");
    }

    /// <summary>Downloads one file, reporting the bytes received so far.</summary>
    public async Task<byte[]> DownloadAsync(BootFileLink file, Action<long> progress, CancellationToken cancel)
    {
        using var response = await http.GetAsync(file.Url, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (!response.IsSuccessStatusCode)
            throw new LabException($"Downloading the machine's boot files failed ({(int)response.StatusCode}). Reload the page to try again.");
        var data = new byte[file.Bytes];
        await using var stream = await response.Content.ReadAsStreamAsync(cancel);
        int at = 0;
        while (at < data.Length)
        {
            int n = await stream.ReadAsync(data.AsMemory(at), cancel);
            if (n == 0) break;
            at += n;
            progress(at);
        }
        if (at != data.Length || Convert.ToHexStringLower(SHA256.HashData(data)) != file.Sha256)
            throw new LabException("A boot file arrived damaged (its hash does not match). Reload the page to try again.");
        return data;
    }
}
