using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Features.LabImages;
using Platform.Web.Features.Labs;
using Platform.Web.Tests.Features.Autograding;
using Platform.Web.Tests.Infrastructure;
using Vm.Client.Disk;
using Vm.Client.Engine;
using Vm.Client.Lab;
using Vm.Engine.Devices;
using Vm.Engine.Devices.Display;
using Vm.Engine.Disk;

namespace Platform.Web.Tests.Features.Labs;

/// <summary>
/// The browser's resume snapshot on the portal: made for the browser's machine (on the real guest
/// kernel and initramfs, built by scripts/guest/build-guest-images.sh) at the init's session wait, so
/// a machine resumed from it takes its clock and home disk from the session line; named in
/// machine.json only for the current boot and only to the assignment's school.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class LabResumeSnapshotTests : IDisposable
{
    private readonly AutogradePortal portal = new();

    public void Dispose() => portal.Dispose();

    private async Task<(Guid AssignmentId, LabMachineSpec Spec)> DemoLabAsync()
    {
        var assignment = await portal.DemoAssignmentAsync("01-files-and-folders");
        var spec = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", async s =>
        {
            var image = await portal.WithDbAsync(db => db.LabImages.IgnoreQueryFilters().AsNoTracking().SingleAsync(i => i.Id == assignment.LabImageId));
            return s.GetRequiredService<LabMachines>().Resolve(image, out var whyNot) ?? throw new InvalidOperationException(whyNot);
        });
        return (assignment.Id, spec);
    }

    private static async Task<JsonElement?> ResumeOfAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.TryGetProperty("resume", out var r) && r.ValueKind == JsonValueKind.Object ? r.Clone() : null;
    }

    [Fact]
    public async Task MachineJson_NamesOnlyTheSnapshotOfTheCurrentBoot_AndOnlyToTheSchool()
    {
        var (assignmentId, spec) = await DemoLabAsync();
        var resume = portal.Services.GetRequiredService<LabResumeSnapshots>();
        var path = $"t/demo/assignments/{assignmentId}/lab/machine.json";
        using var student = await portal.SignInAsync("student@demo.test");
        Assert.Null(await ResumeOfAsync(student.Http, path));

        // A snapshot of another boot (older kernel, other command line...) is stale: never named.
        var bytes = Encoding.ASCII.GetBytes(new string('s', 300_000));
        resume.Save("0123456789abcdef-another-boot", bytes, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Null(await ResumeOfAsync(student.Http, path));

        var saved = resume.Save(resume.BootKey(spec), bytes, DateTimeOffset.UtcNow, CancellationToken.None);
        var named = await ResumeOfAsync(student.Http, path);
        Assert.NotNull(named);
        Assert.Equal(saved.ManifestHash, named.Value.GetProperty("manifestHash").GetString());
        Assert.Equal(bytes.Length, named.Value.GetProperty("size").GetInt64());
        // The chunks it names are served and hash to their names.
        var chunk = named.Value.GetProperty("chunks")[0].GetString()!;
        Assert.Equal(chunk, ChunkHash.Of(await student.Http.GetByteArrayAsync($"t/demo/chunks/{chunk}")));

        await portal.OtherSchoolAsync();
        using var other = await portal.SignInAsync("teacher@other.test", OtherSchool.Slug);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync($"t/other/assignments/{assignmentId}/lab/machine.json")).StatusCode);
    }

    [Fact]
    public async Task Take_StopsAtTheSessionWait_AndAResumedMachineTakesItsClockAndHomeFromTheSessionLine()
    {
        var (_, spec) = await DemoLabAsync();
        var resume = portal.Services.GetRequiredService<LabResumeSnapshots>();
        var snapshot = resume.Take(spec, resume.BootKey(spec), TimeSpan.FromMinutes(6), CancellationToken.None);

        var home = new CopyOnWriteSource(new BlankDisk(LabMachine.HomeDiskBytes), new MemoryOverlayStore());
        using var machine = new BrowserMachine(File.ReadAllBytes(spec.KernelPath), File.ReadAllBytes(spec.InitrdPath), spec.KernelCommandLine,
            spec.MemoryMiB, null, home, null, DisplayMode.FromKernelCommandLine(spec.KernelCommandLine), resumeFrom: snapshot, clock: ClockMode.Instructions)
            { MountHome = true };
        Assert.True(machine.Resumed);
        var console = new StringBuilder();
        bool RunUntil(string text)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                machine.RunSlice();
                console.Append(Encoding.Latin1.GetString(machine.TakeConsoleOutput()));
                if (console.ToString().Contains(text, StringComparison.Ordinal)) return true;
            }
            return false;
        }
        // Nothing ran past the wait on the server: the shell starts only now, on the home disk it formats.
        Assert.True(RunUntil(BrowserMachine.ShellReadyMarker), console.ToString());
        Assert.Contains("formatting the new home disk /dev/vda", console.ToString());
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        machine.SendConsoleInput(Encoding.ASCII.GetBytes("echo at=$(date +%s)-end home=$(grep -c ' /root ' /proc/mounts)\n"));
        Assert.True(RunUntil("-end home="), console.ToString());
        Assert.True(RunUntil("\n# "), console.ToString());
        var match = System.Text.RegularExpressions.Regex.Match(console.ToString(), @"at=(\d+)-end home=(\d)");
        Assert.True(match.Success, console.ToString());
        Assert.InRange(long.Parse(match.Groups[1].Value), before - 60, before + 120);
        Assert.Equal("1", match.Groups[2].Value);
    }
}
