using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Platform.Web.EndToEnd.Infrastructure;

/// <summary>
/// The built portal (Platform.Web.dll) in a child process on a free loopback port, with a fresh data
/// folder, so the browser talks to the same Kestrel a school runs. Its console output goes to a log file.
/// </summary>
/// <remarks>
/// A process of its own rather than WebApplicationFactory: several portals in one test process would
/// share Hangfire's static configuration, and the browser should meet the portal as a school runs it.
/// </remarks>
public sealed partial class PortalProcess : IAsyncDisposable
{
    // Generous: on a busy two-core machine the first request (JIT, OpenIddict's ephemeral keys) alone can take 20 s.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PortalProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<PortalProcess> StartAsync(string dataDirectory, string demoPassword, string logFile)
    {
        var assembly = PortalAssembly();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { assembly, "--urls", "http://127.0.0.1:0" })
            start.ArgumentList.Add(argument);
        // Development: static web assets are served from the project's wwwroot, as `dotnet run` does.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Platform__DataDirectory"] = dataDirectory;
        start.Environment["Platform__DemoPassword"] = demoPassword;
        start.Environment["Platform__SeedDemo"] = "true";
        // Dates and numbers on the pages are asserted in English, whatever the machine's locale.
        start.Environment["LANG"] = "en_US.UTF-8";
        start.Environment["LC_ALL"] = "en_US.UTF-8";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var portal = new PortalProcess(process, new StreamWriter(logFile, append: false) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => portal.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => portal.OnOutput(e.Data);
        process.Exited += (_, _) => portal._listening.TrySetException(
            new InvalidOperationException($"The portal exited with code {process.ExitCode} before it listened; see {logFile}."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            portal.BaseAddress = await portal._listening.Task.WaitAsync(StartTimeout);
            await portal.WaitUntilSeededAsync();
        }
        catch
        {
            await portal.DisposeAsync();
            throw;
        }
        return portal;
    }

    /// <summary>
    /// The demo school is seeded right after start; its sign-in page answers 200 once it exists. This
    /// first page also warms the portal up, so the browser's first navigation is not the slow one.
    /// </summary>
    private async Task WaitUntilSeededAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("t/demo/account/login");
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or still busy starting: ask again.
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The portal at {BaseAddress} did not serve the demo school within {StartTimeout.TotalSeconds} s.");
            await Task.Delay(200);
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output after the test let go of the log.
            }
        }
        if (ListeningLine().Match(line) is { Success: true } match)
            _listening.TrySetResult(new Uri(match.Groups[1].Value.TrimEnd('/') + "/"));
    }

    /// <summary>Platform.Web.dll as built beside this project, in the same configuration.</summary>
    private static string PortalAssembly()
    {
        var configuration = typeof(PortalProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(Artifacts.RepositoryRoot, "Platform.Web", "bin", configuration, "net10.0", "Platform.Web.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the portal first: {path} is missing.", path);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        _process.Dispose();
        lock (_log)
            _log.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
