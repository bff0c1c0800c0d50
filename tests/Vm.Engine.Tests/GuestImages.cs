namespace Vm.Engine.Tests;

/// <summary>Finds the guest images built by scripts/guest/build-guest-images.sh.</summary>
public static class GuestImages
{
    public static string Directory
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("WEBVM_GUEST_DIR");
            if (!string.IsNullOrEmpty(env)) return env;
            string cache = Environment.GetEnvironmentVariable("WEBVM_CACHE") ??
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "webvm");
            return Path.Combine(cache, "guest");
        }
    }

    public static string Kernel => Require("bzImage");
    public static string Initrd => Require("initrd.gz");

    private static string Require(string name)
    {
        string p = Path.Combine(Directory, name);
        if (!File.Exists(p))
        {
            Assert.Fail($"Guest image {p} is missing: run scripts/guest/build-guest-images.sh first (or set WEBVM_GUEST_DIR).");
        }
        return p;
    }
}
