using Platform.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddPlatformData();
builder.AddPlatformIdentity();
builder.AddPlatformOpenId();
builder.AddPlatformJobs();
builder.AddPlatformFeatures();

var app = builder.Build();

await app.PrepareDatabaseAsync();
if (await app.RunCommandAsync(args))
    return;

app.UsePlatform();
app.Run();

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
