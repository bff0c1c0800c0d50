using Microsoft.JSInterop;

namespace Vm.Client.Disk;

/// <summary>The browser refused to store more for this site: shown to the student, never swallowed.</summary>
public sealed class StorageQuotaException(string message, Exception inner) : IOException(message, inner);

/// <summary>The lab disk's IndexedDB database (Platform.Web/wwwroot/js/lab-disk.js), as C# calls it.</summary>
public sealed class BrowserStorage(IJSObjectReference module)
{
    public static async Task<BrowserStorage> OpenAsync(IJSRuntime js) =>
        new(await js.InvokeAsync<IJSObjectReference>("import", "./js/lab-disk.js"));

    public ValueTask<byte[]?> ChunkGetAsync(string hash, CancellationToken cancel) => module.InvokeAsync<byte[]?>("chunkGet", cancel, hash);
    public ValueTask ChunkPutAsync(string hash, byte[] data, CancellationToken cancel) => Write(module.InvokeVoidAsync("chunkPut", cancel, hash, data), "an image chunk");

    public ValueTask<byte[]?> OverlayGetAsync(string lab, long block, CancellationToken cancel) => module.InvokeAsync<byte[]?>("overlayGet", cancel, lab, block);
    public ValueTask OverlayPutAsync(string lab, long block, byte[] data, CancellationToken cancel) => Write(module.InvokeVoidAsync("overlayPut", cancel, lab, block, data), "your changes to the disk");
    public ValueTask<long[]> OverlayBlocksAsync(string lab, CancellationToken cancel) => module.InvokeAsync<long[]>("overlayBlocks", cancel, lab);
    public ValueTask OverlayClearAsync(string lab, CancellationToken cancel) => module.InvokeVoidAsync("overlayClear", cancel, lab);

    public ValueTask<StorageEstimate> EstimateAsync(CancellationToken cancel) => module.InvokeAsync<StorageEstimate>("estimate", cancel);

    private static async ValueTask Write(ValueTask write, string what)
    {
        try
        {
            await write;
        }
        catch (JSException e) when (e.Message.Contains("QuotaExceededError", StringComparison.Ordinal))
        {
            throw new StorageQuotaException($"The browser has no room left to save {what} for this site. Free space (delete other sites' data or old labs) and try again; nothing was saved after this point.", e);
        }
    }
}

public sealed record StorageEstimate(long Usage, long Quota);
