using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Data.Entities;
using Platform.Web.Features.LabImages;
using Vm.ImageBuilder;

namespace Platform.Web.Tests.Features.LabImages;

/// <summary>
/// A portal started on a fresh machine builds its guest images itself and tells the lab page how far
/// it got. The builds here run stand-in scripts in place of build-guest-images.sh (the real one
/// downloads Debian's packages for minutes; test.sh runs it before the suite), through the real
/// process runner, into a scratch cache.
/// </summary>
public sealed class GuestImageBootstrapTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("webvm-guest-bootstrap-").FullName;
    private readonly GuestImageBuildStatus status = new();
    private string Guest => Path.Combine(root, "guest");

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static readonly LabImage Lab = new(new Course(Guid.NewGuid(), "LINUX101", "Intro to Linux"), "intro", "1");

    private string StandInScript(string body)
    {
        var path = Path.Combine(root, "stand-in-build.sh");
        File.WriteAllText(path, "set -e\n" + body);
        return path;
    }

    private Task BuildAsync(string script, CancellationToken cancellationToken = default) =>
        new GuestImageBootstrap(Options.Create(new LabImageOptions()), new Host(root), new SystemProcessRunner(), status,
            NullLogger<GuestImageBootstrap>.Instance).BuildAsync(new GuestImageBuildPlan(script, Guest), cancellationToken);

    /// <summary>What the lab page says (machine.json's 409) for a lab on this portal.</summary>
    private string? WhyTheLabCannotStart() =>
        new LabMachines(Options.Create(new LabImageOptions { GuestDirectory = Guest }), status).Resolve(Lab, out var whyNot) is null ? whyNot : null;

    [Fact]
    public async Task MissingImages_AreBuiltWithAStandInScript_AndTheLabPageShowsTheStepMeanwhile()
    {
        var build = BuildAsync(StandInScript("""
            echo "[guest] downloading linux-image-686 (1 of 3)" >&2
            while [ ! -e "$WEBVM_CACHE/go" ]; do sleep 0.05; done
            mkdir -p "$WEBVM_CACHE/guest"
            echo kernel > "$WEBVM_CACHE/guest/bzImage"; echo initramfs > "$WEBVM_CACHE/guest/initrd.gz"
            echo "dir: $WEBVM_CACHE/guest"
            """));
        for (int i = 0; i < 200 && status.Current.Detail != "downloading linux-image-686 (1 of 3)"; i++)
            await Task.Delay(50);
        Assert.Equal((GuestImageBuildState.Building, "downloading linux-image-686 (1 of 3)"), status.Current);
        var why = WhyTheLabCannotStart();
        Assert.Contains("is building the lab machines' Linux kernel and initramfs", why);
        Assert.Contains("Now: downloading linux-image-686 (1 of 3)", why);

        File.WriteAllText(Path.Combine(root, "go"), "");
        await build.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(GuestImageBuildState.Built, status.Current.State);
        Assert.Null(WhyTheLabCannotStart());
    }

    [Fact]
    public async Task AFailingBuild_TellsTheLabPageWhy_AndWhatToRunByHand()
    {
        await BuildAsync(StandInScript("""
            echo "[guest] apt-get update" >&2
            echo "E: Unable to locate package linux-image-686:i386" >&2
            exit 100
            """)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(GuestImageBuildState.Failed, status.Current.State);
        var why = WhyTheLabCannotStart();
        Assert.Contains("failed: the script exited with 100", why);
        Assert.Contains("E: Unable to locate package linux-image-686:i386", why);
        Assert.Contains("Run scripts/guest/build-guest-images.sh (it needs root for apt-get)", why);
    }

    [Fact]
    public async Task AScriptThatEndsWithoutTheImages_IsAFailure_NotReady()
    {
        await BuildAsync(StandInScript("echo '[guest] nothing to do' >&2\n")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((GuestImageBuildState.Failed, $"the script ended but {Guest} has no bzImage and initrd.gz"), status.Current);
        Assert.Contains("has no bzImage and initrd.gz", WhyTheLabCannotStart());
    }

    [Fact]
    public void NothingIsBuilt_WhereTheOperatorNamedTheFolder_OrTheImagesExist_OrItIsSwitchedOff()
    {
        var script = StandInScript("exit 0\n");
        Func<string, string?> cacheOnly = name => name == "WEBVM_CACHE" ? root : null;
        Assert.Equal(new GuestImageBuildPlan(script, Guest),
            GuestImageBuildPlan.For(new LabImageOptions { GuestImageBuildScript = script }, root, cacheOnly));

        Assert.Null(GuestImageBuildPlan.For(new LabImageOptions { GuestImageBuildScript = script, GuestDirectory = Guest }, root, cacheOnly));
        Assert.Null(GuestImageBuildPlan.For(new LabImageOptions { GuestImageBuildScript = script }, root,
            name => name == "WEBVM_GUEST_DIR" ? Guest : cacheOnly(name)));
        Assert.Null(GuestImageBuildPlan.For(new LabImageOptions { GuestImageBuildScript = script, BuildGuestImagesOnStart = false }, root, cacheOnly));
        Assert.Null(GuestImageBuildPlan.For(new LabImageOptions { GuestImageBuildScript = Path.Combine(root, "missing.sh") }, root, cacheOnly));

        Directory.CreateDirectory(Guest);
        File.WriteAllText(Path.Combine(Guest, "bzImage"), "");
        File.WriteAllText(Path.Combine(Guest, "initrd.gz"), "");
        Assert.Null(GuestImageBuildPlan.For(new LabImageOptions { GuestImageBuildScript = script }, root, cacheOnly));
    }

    [Fact]
    public void ThePortalInACheckout_FindsTheRepositorysBuildScript()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "WebVm.sln")))
            repository = repository.Parent!;
        var plan = GuestImageBuildPlan.For(new LabImageOptions(), Path.Combine(repository.FullName, "Platform.Web"),
            name => name == "WEBVM_CACHE" ? root : null);
        Assert.Equal(Path.Combine(repository.FullName, "scripts", "guest", "build-guest-images.sh"), plan?.Script);
        Assert.Equal(root, plan?.CacheRoot);
    }

    private sealed class Host(string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";
        public string ApplicationName { get; set; } = "Platform.Web";
        public string ContentRootPath { get; set; } = contentRoot;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
