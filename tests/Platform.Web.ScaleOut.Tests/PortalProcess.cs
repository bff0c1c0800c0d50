using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// The portal as a real operating-system process (the Release build of Platform.Web, run with
/// <c>dotnet Platform.Web.dll</c> on a loopback port), so a fault test can kill it for real: SIGKILL,
/// no shutdown hooks, connections cut mid-call.
/// </summary>
public sealed partial class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PortalProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What the process printed (for failure messages).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts an instance on PostgreSQL (and Redis when given) and waits until it serves pages.</summary>
    public static async Task<PortalProcess> StartAsync(string connectionString, string dataDirectory, string? redis)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/'),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Platform__Database"] = "postgres",
            ["ConnectionStrings__Platform"] = connectionString,
            ["Platform__DataDirectory"] = dataDirectory,
            ["Platform__Redis"] = redis ?? "",
            ["Platform__DemoPassword"] = PortalInstance.Password,
            ["RateLimits__SignInsPerMinute"] = "100000",
            ["RateLimits__SubmissionsPerMinute"] = "100000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        return await StartWithEnvironmentAsync(settings, address);
    }

    /// <summary>
    /// Starts an instance configured by <paramref name="environment"/> alone (as a container gets it)
    /// and waits until it serves pages at <paramref name="address"/>.
    /// </summary>
    public static async Task<PortalProcess> StartWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, Uri address)
    {
        var folder = BuildOutput();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(folder, "Platform.Web.dll")])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var portal = new PortalProcess(process, address);
        process.OutputDataReceived += (_, e) => portal.Append(e.Data);
        process.ErrorDataReceived += (_, e) => portal.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await portal.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
        return portal;
    }

    /// <summary>Kills the process the hard way (SIGKILL on Linux) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await KillAsync();
        _process.Dispose();
    }

    private bool _disposed;

    /// <summary>A browser-like client of this instance: keeps cookies, does not follow redirects.</summary>
    public HttpClient CreateClient(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Signs in through the real form; returns the session cookie's "name=value".</summary>
    public async Task<string> SignInAsync(string email, string password = PortalInstance.Password)
    {
        var cookies = new CookieContainer();
        using var client = CreateClient(cookies);
        var form = await client.GetStringAsync("t/demo/account/login");
        var response = await client.PostAsync("t/demo/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = PortalInstance.AntiforgeryToken(form),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var session = cookies.GetCookies(new Uri(Address, "t/demo/")).Single(c => c.Name == "webvm.session");
        return $"{session.Name}={session.Value}";
    }

    /// <summary>A started connection to this instance's submission hub over WebSockets, as browsers connect.</summary>
    public async Task<HubConnection> ConnectHubAsync(string cookie)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Address, "t/demo/hubs/submissions"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.Headers["Cookie"] = cookie;
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    private async Task WaitUntilServingAsync(TimeSpan limit)
    {
        using var client = CreateClient();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The portal exited with {_process.ExitCode}:\n{Output}");
            try
            {
                // The demo school exists once seeding ran, which happens after the server started listening.
                if ((await client.GetAsync("t/demo/account/login")).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The portal did not serve within {limit}:\n{Output}");
    }

    /// <summary>Platform.Web's build output of the same configuration as this test assembly (Release in CI).</summary>
    private static string BuildOutput()
    {
        var configuration = ConfigurationOfThisBuild().Match(AppContext.BaseDirectory).Groups[1].Value;
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "WebVm.sln")))
            folder = folder.Parent;
        var output = Path.Combine(folder?.FullName ?? throw new InvalidOperationException("WebVm.sln not found above the test assembly"),
            "Platform.Web", "bin", configuration, "net10.0");
        if (!File.Exists(Path.Combine(output, "Platform.Web.dll")))
            throw new InvalidOperationException($"Build Platform.Web first ({output} has no Platform.Web.dll).");
        return output;
    }

    [GeneratedRegex(@"[/\\]bin[/\\]([^/\\]+)[/\\]")]
    private static partial Regex ConfigurationOfThisBuild();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
