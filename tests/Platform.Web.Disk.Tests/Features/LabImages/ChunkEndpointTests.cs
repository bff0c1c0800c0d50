using System.Net;
using System.Net.Http.Headers;
using Vm.Engine.Disk;

namespace Platform.Web.Disk.Tests.Features.LabImages;

[Collection(DiskPortal.Serial)]
public sealed class ChunkEndpointTests(DiskPortal portal) : IClassFixture<DiskPortal>
{
    private string FirstChunk => portal.Services.GetManifest(portal.ManifestHashA).Chunks[0]!;

    [Fact]
    public async Task GetChunk_Known_IsServedImmutableWithTheHashAsETag()
    {
        using var client = portal.Anonymous();

        var response = await client.GetAsync($"chunks/{FirstChunk}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
        Assert.Equal($"\"{FirstChunk}\"", response.Headers.ETag?.Tag);
        Assert.Equal("bytes", string.Join(",", response.Headers.AcceptRanges));
        Assert.Equal(FirstChunk, ChunkHash.Of(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task GetChunk_Range_Returns206WithThoseBytes()
    {
        using var client = portal.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"chunks/{FirstChunk}");
        request.Headers.Range = new RangeHeaderValue(100, 199);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes 100-199/{ImageManifest.DefaultChunkSize}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(portal.DiskA.AsSpan(100, 100).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetChunk_IfNoneMatch_Returns304()
    {
        using var client = portal.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"chunks/{FirstChunk}");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{FirstChunk}\""));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task GetChunk_Unknown_Returns404()
    {
        using var client = portal.Anonymous();
        var response = await client.GetAsync($"chunks/{new string('0', 64)}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("ZZ00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824")]
    [InlineData("..%2F..%2Fwebvm.db")]
    public async Task GetChunk_Malformed_Returns400(string name)
    {
        using var client = portal.Anonymous();
        var response = await client.GetAsync($"chunks/{name}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

internal static class ServiceProviderExtensions
{
    public static ImageManifest GetManifest(this IServiceProvider services, string hash) =>
        ((ImageStore)services.GetService(typeof(ImageStore))!).GetManifest(hash)!;
}
