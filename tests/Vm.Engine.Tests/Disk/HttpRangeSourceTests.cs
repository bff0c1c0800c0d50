using System.Net;
using System.Net.Http.Headers;
using Vm.Engine.Disk;
using static Vm.Engine.Tests.Disk.DiskTestData;

namespace Vm.Engine.Tests.Disk;

public sealed class HttpRangeSourceTests
{
    [Fact]
    public async Task Read_AcrossBlocks_ReturnsTheImageBytesWithRangeRequests()
    {
        var image = Image(3).AsSpan(0, 2 * Chunk + 5000).ToArray();
        using var http = new HttpClient(new RangeHost(image));
        await using var source = await HttpRangeSource.OpenAsync(http, new Uri("http://static.test/disk.img"), retryDelay: TimeSpan.Zero);

        var buffer = new byte[Chunk + 6000];
        await source.ReadAsync(Chunk - 1000, buffer);
        await source.ReadAsync(Chunk - 1000, buffer); // from memory the second time

        Assert.Equal(image.Length, source.Size);
        Assert.Equal(image.AsSpan(Chunk - 1000, Chunk + 6000).ToArray(), buffer);
        Assert.Equal(3, source.Requests);
    }

    [Fact]
    public async Task Read_HostFailing_ThrowsDiskIoExceptionAfterRetries()
    {
        var image = Image(2);
        var host = new RangeHost(image);
        using var http = new HttpClient(host);
        await using var source = await HttpRangeSource.OpenAsync(http, new Uri("http://static.test/disk.img"), retryDelay: TimeSpan.Zero);
        host.Failing = true;

        var error = await Assert.ThrowsAsync<DiskIoException>(() => source.ReadAsync(Chunk, new byte[512]).AsTask());

        Assert.Equal(DiskIoFailure.Unavailable, error.Failure);
        Assert.Equal(1, error.ChunkIndex);
        Assert.Equal(3, source.Requests);
    }

    [Fact]
    public async Task Open_HostWithoutRanges_IsRefused()
    {
        using var http = new HttpClient(new RangeHost(Image(1)) { IgnoresRanges = true });
        await Assert.ThrowsAsync<DiskIoException>(() => HttpRangeSource.OpenAsync(http, new Uri("http://static.test/disk.img")));
    }

    /// <summary>A static host: answers Range requests with 206 and Content-Range, or 500s when failing.</summary>
    private sealed class RangeHost(byte[] file) : HttpMessageHandler
    {
        public bool Failing { get; set; }
        public bool IgnoresRanges { get; init; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Failing)
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError));
            var range = request.Headers.Range?.Ranges.Single();
            if (range is null || IgnoresRanges)
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(file) });
            var from = range.From!.Value;
            var to = Math.Min(range.To!.Value, file.Length - 1);
            var content = new ByteArrayContent(file, (int)from, (int)(to - from + 1));
            content.Headers.ContentRange = new ContentRangeHeaderValue(from, to, file.Length);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = content });
        }
    }
}
