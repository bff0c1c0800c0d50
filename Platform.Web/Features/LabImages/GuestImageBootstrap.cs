using Microsoft.Extensions.Options;
using Vm.ImageBuilder;

namespace Platform.Web.Features.LabImages;

/// <summary>What the first start of a portal needs to build its guest images: the script and where it builds them.</summary>
public sealed record GuestImageBuildPlan(string Script, string GuestDirectory)
{
    /// <summary>The script builds into $WEBVM_CACHE/guest; the portal looks in exactly that folder.</summary>
    public string CacheRoot => Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(GuestDirectory))!;

    /// <summary>
    /// A plan only for a portal that looks for the guest images in the default place and finds none
    /// there, started from a checkout that has the script (`dotnet run --project Platform.Web` on a
    /// fresh machine). A folder named by the operator (<see cref="LabImageOptions.GuestDirectory"/>,
    /// $WEBVM_GUEST_DIR, a container's baked-in images) is theirs to fill, and is never built into.
    /// </summary>
    public static GuestImageBuildPlan? For(LabImageOptions options, string contentRoot, Func<string, string?> environment)
    {
        if (!options.BuildGuestImagesOnStart || options.GuestDirectory.Length > 0 || !string.IsNullOrEmpty(environment("WEBVM_GUEST_DIR")))
            return null;
        var guest = options.ResolveGuestDirectory(environment);
        if (GuestImageFiles.Present(guest))
            return null;
        var script = options.GuestImageBuildScript.Length > 0
            ? options.GuestImageBuildScript
            : Path.GetFullPath(Path.Combine(contentRoot, "..", "scripts", "guest", "build-guest-images.sh"));
        return File.Exists(script) ? new GuestImageBuildPlan(script, guest) : null;
    }
}

/// <summary>The two files every lab machine boots from.</summary>
public static class GuestImageFiles
{
    public static bool Present(string guestDirectory) =>
        File.Exists(Path.Combine(guestDirectory, "bzImage")) && File.Exists(Path.Combine(guestDirectory, "initrd.gz"));
}

/// <summary>
/// On a portal's first start on a fresh machine, builds the guest kernel and initramfs every lab boots
/// (scripts/guest/build-guest-images.sh: a few minutes of downloading Debian's packages), so the
/// README's one command gives working labs. Progress goes to the console and, through
/// <see cref="GuestImageBuildStatus"/>, to the lab page; a failure says what to run by hand.
/// </summary>
public sealed class GuestImageBootstrap(IOptions<LabImageOptions> options, IHostEnvironment host, IProcessRunner processes,
    GuestImageBuildStatus status, ILogger<GuestImageBootstrap> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        GuestImageBuildPlan.For(options.Value, host.ContentRootPath, Environment.GetEnvironmentVariable) is { } plan
            ? BuildAsync(plan, stoppingToken)
            : Task.CompletedTask;

    public async Task BuildAsync(GuestImageBuildPlan plan, CancellationToken cancellationToken)
    {
        log.LogInformation("No guest images in {Folder}: building them with {Script} (a few minutes, once)", plan.GuestDirectory, plan.Script);
        status.Start();
        var tail = new Queue<string>();
        void OnLine(string line)
        {
            tail.Enqueue(line);
            if (tail.Count > 4) tail.Dequeue();
            // The script's own progress lines start with "[guest]"; apt's and dpkg's chatter is detail.
            if (line.StartsWith("[guest] ", StringComparison.Ordinal))
            {
                status.Report(line["[guest] ".Length..]);
                log.LogInformation("Guest images: {Step}", line["[guest] ".Length..]);
            }
            else
                log.LogDebug("Guest images: {Line}", line);
        }
        int exit;
        try
        {
            // In a session of its own the script has no terminal, so a sudo that would ask for a
            // password fails at once instead of prompting in the middle of the portal's console.
            exit = await processes.RunAsync("setsid", ["--wait", "bash", plan.Script], OnLine, cancellationToken,
                new Dictionary<string, string> { ["WEBVM_CACHE"] = plan.CacheRoot });
        }
        catch (OperationCanceledException)
        {
            status.Fail("the portal stopped before the build ended");
            return;
        }
        catch (ImageBuildException e)
        {
            Fail(e.Message);
            return;
        }
        if (exit != 0)
            Fail($"the script exited with {exit}: {string.Join(" / ", tail)}");
        else if (!GuestImageFiles.Present(plan.GuestDirectory))
            Fail($"the script ended but {plan.GuestDirectory} has no bzImage and initrd.gz");
        else
        {
            status.Finish();
            log.LogInformation("Guest images ready in {Folder}", plan.GuestDirectory);
        }
    }

    private void Fail(string why)
    {
        status.Fail(why);
        log.LogWarning("Building the guest images failed: {Why}. Run scripts/guest/build-guest-images.sh (it needs root for apt-get).", why);
    }
}
