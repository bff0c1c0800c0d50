using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Labs;

namespace Platform.Web.Disk.Tests.Features.Labs;

/// <summary>
/// What the browser's lab downloads: the machine description (authorized as the assignment) and the
/// boot files it names, which are the real guest kernel and initramfs (scripts/guest/build-guest-images.sh).
/// </summary>
[Collection(DiskPortal.Serial)]
public sealed class LabEndpointTests(DiskPortal portal) : IClassFixture<DiskPortal>, IAsyncLifetime
{
    private Guid _assignment;

    public async Task InitializeAsync() =>
        await portal.InTenantAsync("alpha", async db =>
        {
            var course = await db.Courses.SingleAsync(c => c.Id == portal.CourseA);
            var assignment = new Assignment(course, "lab-work-" + Guid.NewGuid().ToString("N")[..8], "Lab work", DateTimeOffset.UtcNow.AddDays(7), 10) { LabImageId = portal.ImageA };
            db.Assignments.Add(assignment);
            await db.SaveChangesAsync();
            _assignment = assignment.Id;
        });

    public Task DisposeAsync() => Task.CompletedTask;

    private string MachinePath(string slug) => $"t/{slug}/assignments/{_assignment}/lab/machine.json";

    [Fact]
    public async Task GetMachine_StudentOfTheCourse_DescribesTheBootFilesByTheirHash()
    {
        using var client = await portal.SignInAsync("alpha", "student-a@alpha.test");

        var machine = await client.GetFromJsonAsync<LabMachineDescription>(MachinePath("alpha"));

        Assert.NotNull(machine);
        Assert.Equal(portal.ManifestHashA, machine.DiskManifestHash);
        Assert.True(machine.CanSubmit);
        Assert.Matches("^[0-9a-f]{32}$", machine.OverlayKey);
        var kernel = await client.GetAsync("t/alpha/" + machine.Kernel.Url);
        Assert.Equal(HttpStatusCode.OK, kernel.StatusCode);
        var bytes = await kernel.Content.ReadAsByteArrayAsync();
        Assert.Equal(machine.Kernel.Bytes, bytes.Length);
        Assert.Equal(machine.Kernel.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal($"\"{machine.Kernel.Sha256}\"", kernel.Headers.ETag?.Tag);
        Assert.Contains("immutable", kernel.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.True(kernel.Headers.CacheControl?.Private);
        // The root disk's manifest, where the browser fetches it, is the one the hash names.
        var manifest = await client.GetAsync("t/alpha/" + machine.DiskManifestUrl);
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(machine.DiskManifestHash, Vm.Engine.Disk.ChunkHash.Of(await manifest.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task GetMachine_ImageRebuiltWithAnotherDisk_NamesTheNewManifest_AndANewOverlay()
    {
        var store = portal.Services.GetRequiredService<Vm.Engine.Disk.ImageStore>();
        Vm.Engine.Disk.ImageWriteResult Disk(int seed)
        {
            var bytes = new byte[Vm.Engine.Disk.ImageManifest.DefaultChunkSize];
            new Random(seed).NextBytes(bytes);
            return new Vm.Engine.Disk.ImageWriter(store).Write(new MemoryStream(bytes), bytes.Length);
        }
        var first = Disk(11);
        var second = Disk(12);
        Guid imageId = default, assignmentId = default;
        await portal.InTenantAsync("alpha", async db =>
        {
            var course = await db.Courses.SingleAsync(c => c.Id == portal.CourseA);
            var image = new LabImage(course, "rebuilt-" + Guid.NewGuid().ToString("N")[..8], "1");
            image.BuildSucceeded(first.ManifestHash, first.Manifest.Size, "first build", DateTimeOffset.UtcNow);
            db.LabImages.Add(image);
            var assignment = new Assignment(course, "rebuilt-" + Guid.NewGuid().ToString("N")[..8], "Rebuilt", DateTimeOffset.UtcNow.AddDays(7), 10) { LabImageId = image.Id };
            db.Assignments.Add(assignment);
            await db.SaveChangesAsync();
            (imageId, assignmentId) = (image.Id, assignment.Id);
        });
        using var client = await portal.SignInAsync("alpha", "student-a@alpha.test");
        var path = $"t/alpha/assignments/{assignmentId}/lab/machine.json";
        var before = await client.GetFromJsonAsync<LabMachineDescription>(path);

        await portal.InTenantAsync("alpha", async db =>
        {
            var image = await db.LabImages.SingleAsync(i => i.Id == imageId);
            image.BuildSucceeded(second.ManifestHash, second.Manifest.Size, "second build", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        });
        var after = await client.GetFromJsonAsync<LabMachineDescription>(path);

        Assert.Equal(first.ManifestHash, before!.DiskManifestHash);
        Assert.Equal(second.ManifestHash, after!.DiskManifestHash);
        // The old writes belong to the old file system: the rebuilt image starts on a fresh overlay.
        Assert.NotEqual(before.OverlayKey, after.OverlayKey);
        // ...and keeps it while the image stays as it is.
        Assert.Equal(after.OverlayKey, (await client.GetFromJsonAsync<LabMachineDescription>(path))!.OverlayKey);
        var served = await client.GetByteArrayAsync("t/alpha/" + after.DiskManifestUrl);
        Assert.Equal(second.ManifestHash, Vm.Engine.Disk.ChunkHash.Of(served));
    }

    [Fact]
    public async Task GetBootFile_AgainWithItsETag_NotModified()
    {
        using var client = await portal.SignInAsync("alpha", "student-a@alpha.test");
        var machine = await client.GetFromJsonAsync<LabMachineDescription>(MachinePath("alpha"));

        var request = new HttpRequestMessage(HttpMethod.Get, "t/alpha/" + machine!.Initrd.Url);
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{machine.Initrd.Sha256}\""));
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task GetMachine_TwoPeopleOnOneAssignment_GetDifferentOverlayKeys()
    {
        using var student = await portal.SignInAsync("alpha", "student-a@alpha.test");
        using var teacher = await portal.SignInAsync("alpha", "teacher@alpha.test");

        var mine = await student.GetFromJsonAsync<LabMachineDescription>(MachinePath("alpha"));
        var theirs = await teacher.GetFromJsonAsync<LabMachineDescription>(MachinePath("alpha"));

        Assert.NotEqual(mine!.OverlayKey, theirs!.OverlayKey);
        Assert.False(theirs.CanSubmit);
    }

    [Fact]
    public async Task GetMachine_StudentOfAnotherCourse_Returns404()
    {
        using var client = await portal.SignInAsync("alpha", "student-b@alpha.test");

        var response = await client.GetAsync(MachinePath("alpha"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetMachine_AssignmentOfAnotherSchool_Returns404()
    {
        using var client = await portal.SignInAsync("beta", "student-c@beta.test");

        var response = await client.GetAsync(MachinePath("beta"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetMachine_WithAnotherSchoolsSession_IsNotServed()
    {
        using var client = await portal.SignInAsync("beta", "student-c@beta.test");

        var response = await client.GetAsync(MachinePath("alpha"));

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetMachineAndBootFile_Anonymous_AreNotServed()
    {
        using var member = await portal.SignInAsync("alpha", "student-a@alpha.test");
        var machine = await member.GetFromJsonAsync<LabMachineDescription>(MachinePath("alpha"));
        using var anonymous = portal.Anonymous();

        Assert.NotEqual(HttpStatusCode.OK, (await anonymous.GetAsync(MachinePath("alpha"))).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await anonymous.GetAsync("t/alpha/" + machine!.Kernel.Url)).StatusCode);
    }

    [Fact]
    public async Task GetBootFile_HashNoMachineNamed_Returns404()
    {
        using var client = await portal.SignInAsync("alpha", "student-a@alpha.test");

        var response = await client.GetAsync($"t/alpha/lab/boot/{new string('0', 64)}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
