using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Vm.Engine.Disk;

namespace Platform.Web.Disk.Tests.Features.LabImages;

[Collection(DiskPortal.Serial)]
public sealed partial class BuildLabImageJobTests(DiskPortal portal) : IClassFixture<DiskPortal>
{
    /// <summary>Presses the course page's Build button for the image, as the teacher.</summary>
    private async Task PressBuildAsync(Guid imageId)
    {
        using var client = await portal.SignInAsync("alpha", "teacher@alpha.test");
        var coursePath = $"t/alpha/courses/{portal.CourseA}";
        var page = await (await client.GetAsync(coursePath)).Content.ReadAsStringAsync();
        Assert.Contains($"build-{imageId}", page);
        var token = WebUtility.HtmlDecode(TokenValue().Match(page).Groups[1].Value);
        var response = await client.PostAsync(coursePath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = $"build-{imageId}",
            ["__RequestVerificationToken"] = token,
        }));
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, $"{(int)response.StatusCode}");
    }

    private async Task<LabImage> WaitForBuildAsync(Guid imageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            LabImage? image = null;
            await portal.InTenantAsync("alpha", async db => image = await db.LabImages.AsNoTracking().SingleAsync(i => i.Id == imageId));
            if (image!.Status != LabImageStatus.Building || DateTime.UtcNow > deadline)
                return image;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Build_RecipeWithNonexistentPackage_FailsKeepsLogAndPublishedImage()
    {
        var store = portal.Services.GetRequiredService<ImageStore>();
        var manifestsBefore = Directory.GetFiles(store.ManifestFolder).Order().ToList();
        portal.Tools.Debootstrap = _ => (["I: Retrieving InRelease", "I: Resolving dependencies of required packages...", "E: Couldn't find these debs: no-such-package"], 1);

        await PressBuildAsync(portal.ImageA);
        var image = await WaitForBuildAsync(portal.ImageA);

        Assert.True(LabImageStatus.Failed == image.Status, $"{image.Status} {image.BuildStage}: {image.BuildLog}");
        Assert.Contains("Couldn't find these debs: no-such-package", image.BuildLog);
        Assert.Contains("debootstrap failed", image.BuildLog);
        Assert.Equal(portal.ManifestHashA, image.ManifestHash); // what was published stays published
        Assert.Equal(manifestsBefore, Directory.GetFiles(store.ManifestFolder).Order().ToList());
        Assert.Empty(await SnapshotIntentsAsync(portal.ImageA)); // a failed build has nothing to snapshot
        using var student = await portal.SignInAsync("alpha", "student-a@alpha.test");
        var served = await student.GetByteArrayAsync($"t/alpha/images/{portal.ImageA}/manifest.json");
        Assert.Equal(portal.ManifestHashA, ChunkHash.Of(served));
    }

    [Fact]
    public async Task Build_Succeeding_PublishesTheNewImageWithProgressDone()
    {
        var store = portal.Services.GetRequiredService<ImageStore>();
        portal.Tools.Debootstrap = args => (["I: Retrieving InRelease", "I: Retrieving make 4.3-4.1", "I: Extracting make...", "I: Configuring make...", "I: Base system installed successfully."], 0);

        await PressBuildAsync(portal.ImageA2);
        var image = await WaitForBuildAsync(portal.ImageA2);

        Assert.True(LabImageStatus.Ready == image.Status, $"{image.Status} {image.BuildStage}: {image.BuildLog}");
        Assert.Equal(100, image.BuildPercent);
        Assert.NotNull(image.ManifestHash);
        Assert.NotEqual(portal.ManifestHashA, image.ManifestHash);
        var manifest = store.GetManifest(image.ManifestHash!)!;
        Assert.Equal(4, manifest.ChunkCount);
        Assert.Null(manifest.Chunks[3]);
        Assert.Contains("Configuring packages", image.BuildLog);
        Assert.Contains(portal.Tools.Calls, c => c.StartsWith("debootstrap --arch=i386 --variant=minbase --include=make bookworm ", StringComparison.Ordinal));

        // The built image gets its post-boot snapshot: the job is queued for this image, in its tenant.
        var queued = await SnapshotIntentsAsync(portal.ImageA2);
        var intent = Assert.Single(queued);
        Assert.Equal(image.TenantId, intent.TenantId);
    }

    private async Task<List<JobIntent>> SnapshotIntentsAsync(Guid imageId)
    {
        var intents = new List<JobIntent>();
        await portal.InTenantAsync("alpha", async db => intents = await db.JobIntents.AsNoTracking()
            .Where(j => j.Kind == Platform.Web.Features.Autograding.SnapshotLabImageJob.JobKind).ToListAsync());
        return intents.Where(j => j.Payload.Contains(imageId.ToString(), StringComparison.OrdinalIgnoreCase)).ToList();
    }

    [Fact]
    public async Task Build_AsStudent_IsNotOffered()
    {
        using var client = await portal.SignInAsync("alpha", "student-a@alpha.test");
        var page = await (await client.GetAsync($"t/alpha/courses/{portal.CourseA}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain($"build-{portal.ImageA}", page);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenValue();
}
