using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Tenancy;
using Vm.Engine.Disk;

namespace Platform.Web.EndToEnd.Infrastructure;

/// <summary>
/// The demo course's debian-dev lab image with its disk, without a teacher's build: the Debian root
/// that scripts/guest/build-debian-root.sh makes from the same recipe with the portal's own image
/// builder (test.sh runs it; a build in the portal would run debootstrap again, minutes for nothing).
/// Its chunks are linked into the portal's image store and the image is published as a finished
/// build publishes it.
/// </summary>
public static class DebianRootImage
{
    public const string LabImage = "debian-dev";

    private static string Cache => Environment.GetEnvironmentVariable("WEBVM_CACHE") is { Length: > 0 } c
        ? c
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "webvm");

    /// <summary>The built image's manifest; fails with how to build it when it is missing.</summary>
    public static (ImageStore Store, string Hash, ImageManifest Manifest) Built()
    {
        var store = new ImageStore(Path.Combine(Cache, "images"));
        var marker = Path.Combine(Cache, "guest", "debian-dev.manifest");
        var hash = File.Exists(marker) ? File.ReadAllText(marker).Trim() : "";
        return store.GetManifest(hash) is { } manifest
            ? (store, hash, manifest)
            : throw new InvalidOperationException($"The Debian root image is missing ({marker}): run scripts/guest/build-debian-root.sh first (test.sh does).");
    }

    /// <summary>Puts the image into the portal's store and publishes it on the demo's debian-dev lab image.</summary>
    public static async Task PublishAsync(string portalDataDirectory)
    {
        var (source, hash, manifest) = Built();
        var target = new ImageStore(Path.Combine(portalDataDirectory, "images"));
        foreach (var chunk in manifest.Chunks.OfType<string>().Distinct())
        {
            var path = target.Chunks.PathOf(chunk);
            if (File.Exists(path)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.CreateSymbolicLink(path, source.Chunks.PathOf(chunk));
        }
        Directory.CreateDirectory(target.ManifestFolder);
        File.Copy(source.ManifestPath(hash), target.ManifestPath(hash), overwrite: true);

        var options = new DbContextOptionsBuilder<PlatformDbContext>()
            .UseSqlite($"Data Source={Path.Combine(portalDataDirectory, "webvm.db")}").Options;
        await using var db = new PlatformDbContext(options, new NoTenant());
        var image = await db.LabImages.IgnoreQueryFilters().SingleAsync(i => i.Name == LabImage);
        image.BuildSucceeded(hash, manifest.Size, "Published by the end-to-end tests from scripts/guest/build-debian-root.sh's image.", DateTimeOffset.UtcNow);
        await db.SaveChangesAsync();
    }

    private sealed class NoTenant : ITenantProvider
    {
        public Guid? TenantId => null;
    }
}
