using System.IO.Compression;
using System.Net;
using CoursePackages.Packaging;
using Microsoft.EntityFrameworkCore;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.CoursePackages;

/// <summary>The school admin's package upload (POST /admin/course-packages/import).</summary>
public sealed class CoursePackageImportTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static byte[] BundledZip(string code)
    {
        var package = CoursePackageReader.ReadFolder(BundledCourses.FolderOf(BundledCourses.IntroToLinux));
        package.Course.Code = code;
        using var zip = new MemoryStream();
        CoursePackageWriter.WriteZip(package, zip);
        return zip.ToArray();
    }

    private static byte[] WithEntry(byte[] zipBytes, string name, string text)
    {
        using var stream = new MemoryStream();
        stream.Write(zipBytes);
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            using var entry = new StreamWriter(zip.CreateEntry(name).Open());
            entry.Write(text);
        }
        return stream.ToArray();
    }

    private static async Task<HttpResponseMessage> UploadAsync(PortalClient client, byte[] zip, string tenant = PortalFactory.Demo, bool withToken = true)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(zip), "package", "course.zip" } };
        if (withToken)
            form.Add(new StringContent(await client.AntiforgeryTokenAsync(PortalClient.Prefix(tenant) + PortalClient.TokenPage)), "__RequestVerificationToken");
        return await client.Http.PostAsync($"{PortalClient.Prefix(tenant)}admin/course-packages/import", form);
    }

    private Task<bool> CourseExistsAsync(string code) =>
        portal.WithDbAsync(db => db.Courses.IgnoreQueryFilters().AnyAsync(c => c.Code == code));

    private static string Code() => "IMP" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();

    [Fact]
    public async Task Import_AsSchoolAdmin_CreatesTheCourseInTheSchool()
    {
        var code = Code();
        using var admin = await portal.SignInAsync("admin@demo.test");

        var response = await UploadAsync(admin, BundledZip(code));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains(code, PortalClient.QueryOf(response, "imported"));
        var demo = await portal.DemoAsync();
        var course = await portal.WithDbAsync(db => db.Courses.IgnoreQueryFilters().Include(c => c.Assignments).SingleAsync(c => c.Code == code));
        Assert.Equal(demo.TenantId, course.TenantId);
        Assert.Equal(4, course.Assignments.Count);
    }

    [Fact]
    public async Task Import_ZipWithEscapingEntry_IsRefusedWithTheEntryName()
    {
        var code = Code();
        using var admin = await portal.SignInAsync("admin@demo.test");

        var response = await UploadAsync(admin, WithEntry(BundledZip(code), "../evil.md", "pwned"));

        Assert.Equal("The package holds an unsafe path: '../evil.md'.", PortalClient.QueryOf(response, "error"));
        Assert.False(await CourseExistsAsync(code));
    }

    [Fact]
    public async Task Import_SameCodeTwice_SaysItExists()
    {
        var code = Code();
        using var admin = await portal.SignInAsync("admin@demo.test");
        await UploadAsync(admin, BundledZip(code));

        var response = await UploadAsync(admin, BundledZip(code));

        Assert.StartsWith($"A course with the code '{code}' exists already", PortalClient.QueryOf(response, "error"));
        Assert.Equal(1, await portal.WithDbAsync(db => db.Courses.IgnoreQueryFilters().CountAsync(c => c.Code == code)));
    }

    [Theory]
    [InlineData("teacher")]
    [InlineData("student")]
    [InlineData("other-school-admin")]
    [InlineData("platform-admin")]
    public async Task Import_ByOthersThanTheSchoolsAdmin_IsRefused(string actorName)
    {
        var code = Code();
        var actor = Actors.Named(actorName);
        if (actor.Tenant == OtherSchool.Slug)
            await portal.OtherSchoolAsync();
        using var signedIn = await portal.SignInAsync(actor.Email!, actor.Tenant);
        using var client = portal.ClientWithSession(signedIn.SessionCookie);

        var response = await UploadAsync(client, BundledZip(code));

        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"Got {(int)response.StatusCode}");
        if (response.StatusCode == HttpStatusCode.Redirect)
            Assert.Matches("/account/(login|denied)$", PortalClient.Absolute(response.Headers.Location!).AbsolutePath);
        Assert.False(await CourseExistsAsync(code));
    }

    [Fact]
    public async Task Import_WithoutAntiforgeryToken_IsRefused()
    {
        var code = Code();
        using var admin = await portal.SignInAsync("admin@demo.test");

        var response = await UploadAsync(admin, BundledZip(code), withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(await CourseExistsAsync(code));
    }
}
