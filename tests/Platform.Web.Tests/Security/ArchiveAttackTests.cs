using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>
/// Hostile course packages through the school admin's real import form: zip bombs (an honest one, one
/// whose headers lie about its size, one of countless entries), paths that climb out of the package,
/// and bytes that are no zip at all. Each gets a clear error and imports nothing.
/// </summary>
public sealed class ArchiveAttackTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Import_ZipBombWithHonestHeaders_IsRefusedBeforeUnpacking()
    {
        var bomb = Zip(("course.yaml", CourseYaml("BOMB1")), ("assignments/a/instructions.md", new string('A', 64 * MiB)));
        Assert.True(bomb.Length < 1 * MiB, $"The bomb is {bomb.Length} bytes");

        var error = await ImportAsync(bomb);

        Assert.Equal("The package unpacks to more than 16 MiB.", error);
        Assert.False(await CourseExistsAsync("BOMB1"));
    }

    [Fact]
    public async Task Import_ZipBombWhoseHeadersUnderstateItsSize_IsRefusedWhileUnpacking()
    {
        var bomb = Zip(("course.yaml", CourseYaml("BOMB2")), ("assignments/a/instructions.md", new string('A', 64 * MiB)));
        // Headers (local and central) claim the 64 MiB entry unpacks to 1 KiB: only counting the bytes that come out catches it.
        LieAboutSizes(bomb, "assignments/a/instructions.md", 1024);

        var error = await ImportAsync(bomb);

        Assert.NotNull(error);
        Assert.True(error.Contains("more than 16 MiB", StringComparison.Ordinal) || error.Contains("damaged", StringComparison.Ordinal), error);
        Assert.False(await CourseExistsAsync("BOMB2"));
    }

    [Fact]
    public async Task Import_ZipOfCountlessEntries_IsRefused()
    {
        var entries = Enumerable.Range(0, 20_000).Select(i => ($"assignments/a{i}/notes.md", "")).Prepend(("course.yaml", CourseYaml("BOMB3"))).ToArray();

        var error = await ImportAsync(Zip(entries));

        Assert.Equal("The package holds more than 2000 files.", error);
        Assert.False(await CourseExistsAsync("BOMB3"));
    }

    [Theory]
    [InlineData("../../../../tmp/webvm-escape.yaml")]
    [InlineData("/etc/cron.d/webvm")]
    [InlineData("assignments/..\\..\\escape.md")]
    [InlineData("C:/Windows/escape.yaml")]
    [InlineData("assignments/./../../escape.md")]
    public async Task Import_EntryClimbingOutOfThePackage_IsRefusedWithItsName(string entry)
    {
        var error = await ImportAsync(Zip(("course.yaml", CourseYaml("ESCAPE")), (entry, "x: 1\n")));

        Assert.Equal($"The package holds an unsafe path: '{entry}'.", error);
        Assert.False(await CourseExistsAsync("ESCAPE"));
        Assert.False(File.Exists("/tmp/webvm-escape.yaml"));
    }

    [Theory]
    [InlineData("not a zip at all")]
    [InlineData("PK\u0003\u0004 and then nothing")]
    [InlineData("")]
    public async Task Import_BytesThatAreNoZip_SaysSo(string content)
    {
        var error = await ImportAsync(System.Text.Encoding.ASCII.GetBytes(content));

        Assert.Equal("The upload is not a zip file.", error);
    }

    private static string CourseYaml(string code) => $"code: {code}\ntitle: Hostile\n";

    private static byte[] Zip(params (string Name, string Text)[] entries)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in entries)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name, CompressionLevel.SmallestSize).Open());
                writer.Write(text);
            }
        }
        return stream.ToArray();
    }

    /// <summary>Rewrites the uncompressed size of an entry in its local header and its central directory record (APPNOTE 4.3.7, 4.3.12).</summary>
    private static void LieAboutSizes(byte[] zip, string name, uint claimed)
    {
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        var patched = 0;
        for (var i = 0; i + 46 < zip.Length; i++)
        {
            var signature = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (signature == 0x04034b50 && zip.AsSpan(i + 30, nameBytes.Length).SequenceEqual(nameBytes))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 22), claimed);
                patched++;
            }
            else if (signature == 0x02014b50 && zip.AsSpan(i + 46, nameBytes.Length).SequenceEqual(nameBytes))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 24), claimed);
                patched++;
            }
        }
        Assert.Equal(2, patched);
    }

    /// <summary>Posts the package as the school admin; returns the error the admin is shown (null: imported).</summary>
    private async Task<string?> ImportAsync(byte[] package)
    {
        using var admin = await portal.SignInAsync("admin@demo.test");
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(package), "package", "course.zip" },
            { new StringContent(await admin.AntiforgeryTokenAsync(PortalClient.Prefix(PortalFactory.Demo) + PortalClient.TokenPage)), "__RequestVerificationToken" },
        };
        var response = await admin.Http.PostAsync($"{PortalClient.Prefix(PortalFactory.Demo)}admin/course-packages/import", form);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Redirect, $"Got {(int)response.StatusCode}");
        return PortalClient.QueryOf(response, "error");
    }

    private Task<bool> CourseExistsAsync(string code) =>
        portal.WithDbAsync(db => db.Courses.IgnoreQueryFilters().AnyAsync(c => c.Code == code));
}
