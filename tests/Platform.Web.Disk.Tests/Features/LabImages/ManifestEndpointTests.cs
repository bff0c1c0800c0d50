using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Vm.Engine.Disk;

namespace Platform.Web.Disk.Tests.Features.LabImages;

[Collection(DiskPortal.Serial)]
public sealed class ManifestEndpointTests(DiskPortal portal) : IClassFixture<DiskPortal>
{
    private static string ManifestPath(string slug, Guid image) => $"t/{slug}/images/{image}/manifest.json";

    [Theory]
    [InlineData("student-a@alpha.test")]
    [InlineData("teacher@alpha.test")]
    public async Task GetManifest_WhenInTheCourse_ReturnsThePublishedManifest(string email)
    {
        using var client = await portal.SignInAsync("alpha", email);

        var response = await client.GetAsync(ManifestPath("alpha", portal.ImageA));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(portal.ManifestHashA, ChunkHash.Of(bytes));
        Assert.Equal($"\"{portal.ManifestHashA}\"", response.Headers.ETag?.Tag);
        Assert.Equal(3, ImageManifest.Parse(bytes).ChunkCount);
    }

    [Fact]
    public async Task GetManifest_WhenStudentOfAnotherCourse_Returns404()
    {
        using var client = await portal.SignInAsync("alpha", "student-b@alpha.test");

        var response = await client.GetAsync(ManifestPath("alpha", portal.ImageA));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetManifest_ImageOfAnotherTenant_Returns404()
    {
        using var client = await portal.SignInAsync("beta", "student-c@beta.test");

        var response = await client.GetAsync(ManifestPath("beta", portal.ImageA));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetManifest_WithAnotherTenantsSession_IsNotServed()
    {
        using var client = await portal.SignInAsync("beta", "student-c@beta.test");

        var response = await client.GetAsync(ManifestPath("alpha", portal.ImageA));

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetManifest_Anonymous_IsNotServed()
    {
        using var client = portal.Anonymous();

        var response = await client.GetAsync(ManifestPath("alpha", portal.ImageA));

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetBuild_InTheCourse_ShowsStatus_OtherCourse_404()
    {
        using var studentA = await portal.SignInAsync("alpha", "student-a@alpha.test");
        using var studentB = await portal.SignInAsync("alpha", "student-b@alpha.test");

        var view = await studentA.GetStringAsync($"t/alpha/images/{portal.ImageA}/build");
        var hidden = await studentB.GetAsync($"t/alpha/images/{portal.ImageA}/build");

        Assert.Contains(portal.ManifestHashA, view);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Fact]
    public async Task CoursePage_WhileBuilding_ShowsProgressAndFollowsIt()
    {
        await portal.InTenantAsync("alpha", async db =>
        {
            var image = await db.LabImages.SingleAsync(i => i.Id == portal.ImageA2);
            image.StartBuild(DateTimeOffset.UtcNow);
            image.ReportBuild("Downloading packages", 42, "I: Retrieving make\n");
            await db.SaveChangesAsync();
        });
        using var client = await portal.SignInAsync("alpha", "student-a@alpha.test");

        var page = WebUtility.HtmlDecode(await client.GetStringAsync($"t/alpha/courses/{portal.CourseA}"));

        Assert.Contains("<progress max=\"100\" value=\"42\">", page);
        Assert.Contains("Downloading packages · 42%", page);
        Assert.Contains("http-equiv=\"refresh\"", page);
    }

    [Fact]
    public async Task Disk_ReadThroughThePortal_EqualsTheImage()
    {
        using var client = await portal.SignInAsync("alpha", "student-a@alpha.test");
        var manifest = ImageManifest.Parse(await client.GetByteArrayAsync(ManifestPath("alpha", portal.ImageA)));
        var fetcher = new HttpChunkFetcher(portal.Anonymous(), new Uri("http://localhost/chunks/"));
        await using var disk = new CopyOnWriteSource(new RemoteImageSource(manifest, fetcher, new MemoryChunkCache()), new MemoryOverlayStore());

        var bytes = new byte[disk.Size];
        await disk.ReadAsync(0, bytes);

        Assert.Equal(portal.DiskA, bytes);
    }

    [Fact]
    public async Task Disk_CorruptChunkOnThePortal_ReadFailsCorrupt_NoBytesReturned()
    {
        // An image of its own in the portal's store, so the shared images stay intact.
        var store = portal.Services.GetRequiredService<ImageStore>();
        var raw = new byte[2 * ImageManifest.DefaultChunkSize];
        new Random(99).NextBytes(raw);
        var written = new ImageWriter(store).Write(new MemoryStream(raw), raw.Length);
        string bad = written.Manifest.Chunks[1]!;
        var chunk = await File.ReadAllBytesAsync(store.Chunks.PathOf(bad));
        chunk[4096] ^= 0x80;
        await File.WriteAllBytesAsync(store.Chunks.PathOf(bad), chunk);
        var fetcher = new HttpChunkFetcher(portal.Anonymous(), new Uri("http://localhost/chunks/"));
        await using var disk = new RemoteImageSource(written.Manifest, fetcher, new MemoryChunkCache(),
            new RemoteImageOptions { RetryDelay = TimeSpan.Zero, ReadAhead = 0 });

        var first = new byte[4096];
        await disk.ReadAsync(0, first);
        var buffer = new byte[4096];
        var error = await Assert.ThrowsAsync<DiskIoException>(() => disk.ReadAsync(ImageManifest.DefaultChunkSize, buffer).AsTask());

        Assert.Equal(raw.AsSpan(0, 4096).ToArray(), first);
        Assert.Equal(DiskIoFailure.Corrupt, error.Failure);
        Assert.Equal(bad, error.ChunkHash);
        Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0, "no corrupt byte was handed over");
    }
}
