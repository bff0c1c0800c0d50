using System.Net;
using System.Net.Sockets;
using Vm.Engine.Disk;

namespace Vm.Engine.Tests.Disk;

/// <summary>
/// Serves an image store over real HTTP on loopback, as the portal and any static host do:
/// <c>GET /chunks/HASH</c> (the chunk file as stored, whatever it holds now) and
/// <c>GET /manifests/HASH.json</c>. Counts what it served.
/// </summary>
public sealed class ChunkHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ImageStore _store;
    private long _chunksServed, _bytesServed;

    public ChunkHttpServer(ImageStore store)
    {
        _store = store;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUri.AbsoluteUri);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }
    public Uri ChunksUri => new(BaseUri, "chunks/");
    public long ChunksServed => Interlocked.Read(ref _chunksServed);
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => Answer(context));
        }
    }

    private void Answer(HttpListenerContext context)
    {
        using var response = context.Response;
        string path = context.Request.Url!.AbsolutePath;
        string? file = null;
        if (path.StartsWith("/chunks/", StringComparison.Ordinal) && ChunkHash.IsValid(path[8..]))
            file = _store.Chunks.PathOf(path[8..]);
        else if (path.StartsWith("/manifests/", StringComparison.Ordinal) && path.EndsWith(".json", StringComparison.Ordinal) && ChunkHash.IsValid(path[11..^5]))
            file = _store.ManifestPath(path[11..^5]);
        if (file == null || !File.Exists(file))
        {
            response.StatusCode = 404;
            return;
        }
        byte[] bytes = File.ReadAllBytes(file);
        response.ContentLength64 = bytes.Length;
        try
        {
            response.OutputStream.Write(bytes);
        }
        catch (HttpListenerException)
        {
            return; // the client went away
        }
        if (path.StartsWith("/chunks/", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _chunksServed);
            Interlocked.Add(ref _bytesServed, bytes.Length);
        }
    }

    public void Dispose() => _listener.Close();
}
