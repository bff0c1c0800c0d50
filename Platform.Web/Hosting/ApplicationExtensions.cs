using System.Diagnostics;
using CoursePackages.Packaging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Web.Components;
using Platform.Web.Features.Accounts;
using Platform.Web.Features.CoursePackages;
using Platform.Web.Features.Grading;
using Platform.Web.Features.LabImages;
using Platform.Web.Features.Labs;
using Platform.Web.Features.OpenId;
using Platform.Web.Features.Submissions;
using Platform.Web.Features.Tailnets;
using Platform.Web.Features.Tenants;
using Platform.Web.Hubs;
using Platform.Web.Security;
using Platform.Web.Seeding;
using Platform.Web.Tenancy;

namespace Platform.Web.Hosting;

public static class ApplicationExtensions
{
    /// <summary>Creates or migrates the database; the portal never starts on an old schema.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var watch = Stopwatch.StartNew();
        await db.Database.MigrateAsync();
        app.Logger.LogInformation("Database ready in {Ms} ms", watch.ElapsedMilliseconds);
    }

    /// <summary>Command-line verbs: `import-course PATH --tenant SLUG` and `export-course CODE --tenant SLUG --out FILE`.</summary>
    public static async Task<bool> RunCommandAsync(this WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] is not ("import-course" or "export-course"))
            return false;
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var slug = Option("--tenant") ?? DemoSeeder.DemoTenant;
        var tenant = services.GetRequiredService<RequestTenant>();
        if (!await tenant.SelectAsync(slug, CancellationToken.None))
        {
            Console.Error.WriteLine($"There is no school '{slug}'.");
            Environment.ExitCode = 2;
            return true;
        }
        var importer = services.GetRequiredService<CoursePackageImporter>();
        try
        {
            if (args[0] == "import-course")
            {
                var path = args.ElementAtOrDefault(1) ?? throw new CoursePackageException("Give the package folder or zip: import-course PATH --tenant SLUG");
                CoursePackage package;
                if (Directory.Exists(path))
                    package = CoursePackageReader.ReadFolder(path);
                else
                {
                    await using var zip = File.OpenRead(path);
                    package = CoursePackageReader.ReadZip(zip);
                }
                var course = await importer.ImportAsync(package, tenant.TenantId!.Value, teacherId: null);
                Console.WriteLine($"Imported {course.Code} '{course.Title}' into {slug}: {package.Assignments.Count} assignments, {package.Images.Count} lab images.");
            }
            else
            {
                var code = args.ElementAtOrDefault(1) ?? throw new CoursePackageException("Give the course code: export-course CODE --tenant SLUG --out FILE");
                await using var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
                var course = await db.Courses.SingleOrDefaultAsync(c => c.Code == code) ?? throw new CoursePackageException($"{slug} has no course '{code}'.");
                var output = Option("--out") ?? $"{code}.zip";
                await using var file = File.Create(output);
                CoursePackageWriter.WriteZip(await importer.ExportAsync(course.Id), file);
                Console.WriteLine($"Exported {code} to {output}.");
            }
        }
        catch (Exception e) when (e is CoursePackageException or Features.Courses.InvalidInputException or IOException)
        {
            Console.Error.WriteLine(e.Message);
            Environment.ExitCode = 1;
        }
        return true;
    }

    public static WebApplication UsePlatform(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/error",
            // Components need a scope of their own to render again; the tenant middleware finds the
            // school of the re-executed request in its PathBase (see TenantResolutionMiddleware).
            CreateScopeForErrors = true,
            StatusCodeSelector = error => error switch
            {
                ForbiddenException => StatusCodes.Status403Forbidden,
                NotFoundException => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status500InternalServerError,
            },
            // Refusals are answers, not faults: they are not logged as errors.
            SuppressDiagnosticsCallback = context => context.Exception is ForbiddenException or NotFoundException,
        });
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseMiddleware<TenantResolutionMiddleware>();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<Security.SharedRateLimitMiddleware>();
        app.UseAntiforgery();

        app.MapStaticAssets();
        // The lab's machine (Vm.Client) runs in the student's browser as WebAssembly.
        app.MapRazorComponents<App>().AddInteractiveWebAssemblyRenderMode().AddAdditionalAssemblies(typeof(Vm.Client.Lab.LabMachine).Assembly);
        app.MapAccountEndpoints();
        app.MapTenantEndpoints();
        app.MapOpenIdEndpoints();
        app.MapSubmissionEndpoints();
        app.MapGradingEndpoints();
        app.MapCoursePackageEndpoints();
        app.MapTailnetEndpoints();
        app.MapLabImageEndpoints();
        app.MapLabEndpoints();
        app.MapHub<SubmissionHub>(SubmissionHub.Path);
        app.MapPlatformJobs();

        var options = app.Services.GetRequiredService<IOptions<PlatformOptions>>().Value;
        if (options.SeedDemo)
        {
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5000";
                app.Services.GetRequiredService<DemoSeeder>().SeedAsync(address.Replace("0.0.0.0", "localhost").Replace("[::]", "localhost"), CancellationToken.None)
                    .GetAwaiter().GetResult();
            });
        }
        return app;
    }
}
