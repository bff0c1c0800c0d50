using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Features.LabImages;
using Platform.Web.Features.Labs;
using Platform.Web.Tests.Features.Autograding;
using Platform.Web.Tests.Infrastructure;
using Vm.Engine.Disk;

namespace Platform.Web.Tests.Features.Labs;

/// <summary>
/// The browser's resume snapshot on the portal: named in machine.json only for the current boot (a
/// stale one never) and only to the assignment's school. Taking and resuming one on the real guest is
/// tests/Platform.Web.EndToEnd/Labs/LabResumeTests' subject.
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
}
