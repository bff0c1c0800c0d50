using System.Diagnostics;
using Npgsql;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// A PostgreSQL server of one test's own (Debian's binaries, a fresh cluster on a loopback port), so
/// the test can stop and start it without disturbing anyone else using the shared test server.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _folder;
    private readonly int _port;
    private readonly string _bin;

    private PrivatePostgres(string folder, int port, string bin)
    {
        _folder = folder;
        _port = port;
        _bin = bin;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=webvm;Database=webvm;Timeout=5;Command Timeout=15";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin"))
            .OrderBy(v => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(v)), out var n) ? n : new Version(0, 0)).Last();
        var folder = Directory.CreateTempSubdirectory("webvm-pg-").FullName;
        var server = new PrivatePostgres(folder, PortalProcess.FreePort(), bin);
        if (Environment.UserName == "root")
            await RunAsync("chown", ["postgres", folder]);
        await server.AsPostgresAsync("initdb", ["-D", Path.Combine(folder, "data"), "-U", "webvm", "--auth=trust", "-E", "UTF8"]);
        await server.StartServerAsync();
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server._port};Username=webvm;Database=postgres");
        await connection.OpenAsync();
        await new NpgsqlCommand("CREATE DATABASE webvm", connection).ExecuteNonQueryAsync();
        return server;
    }

    /// <summary>Starts the server (again) and waits until it accepts connections.</summary>
    public Task StartServerAsync() => AsPostgresAsync("pg_ctl", ["-D", Path.Combine(_folder, "data"), "-l", Path.Combine(_folder, "log"), "-w",
        "-o", $"-p {_port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]);

    /// <summary>Stops the server as a crash would: immediate mode, connections cut, recovery at the next start.</summary>
    public Task StopServerAsync() => AsPostgresAsync("pg_ctl", ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        Directory.Delete(_folder, recursive: true);
    }

    private Task AsPostgresAsync(string tool, string[] arguments) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments])
            : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
    }
}
