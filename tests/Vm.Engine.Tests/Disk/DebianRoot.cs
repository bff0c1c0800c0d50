using Vm.Engine.Disk;

namespace Vm.Engine.Tests.Disk;

/// <summary>Finds the Debian root image built by scripts/guest/build-debian-root.sh.</summary>
public static class DebianRoot
{
    private static string Cache => Environment.GetEnvironmentVariable("WEBVM_CACHE") is { Length: > 0 } c
        ? c
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "webvm");

    public static ImageStore Store => new(Path.Combine(Cache, "images"));

    /// <summary>The manifest hash of the debian-dev image; fails the test with how to build it when missing.</summary>
    public static string ManifestHash
    {
        get
        {
            string marker = Path.Combine(Cache, "guest", "debian-dev.manifest");
            string? hash = File.Exists(marker) ? File.ReadAllText(marker).Trim() : null;
            if (hash == null || !Store.HasManifest(hash))
                Assert.Fail($"The Debian root image is missing ({marker}): run scripts/guest/build-debian-root.sh first (test.sh does).");
            return hash!;
        }
    }
}
