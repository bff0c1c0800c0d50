using System.Diagnostics;
using System.Net.Sockets;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// A Redis server of one test's own (Debian's redis-server on a loopback port), so the test can kill it
/// and count in it without disturbing the shared test server.
/// </summary>
public sealed class PrivateRedis : IDisposable
{
    private Process _process;

    private PrivateRedis(int port, Process process)
    {
        Port = port;
        _process = process;
    }

    public int Port { get; }

    /// <summary>The portal's Platform:Redis setting for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=1000";

    public static async Task<PrivateRedis> StartAsync()
    {
        var port = PortalProcess.FreePort();
        return new PrivateRedis(port, await LaunchAsync(port));
    }

    /// <summary>SIGKILL: no goodbye to connected clients.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts it again, empty, on the same port.</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        _process = await LaunchAsync(Port);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.Dispose();
    }

    private static async Task<Process> LaunchAsync(int port)
    {
        var process = Process.Start(new ProcessStartInfo("redis-server", ["--bind", "127.0.0.1", "--port", port.ToString(), "--save", "", "--appendonly", "no"])
            { RedirectStandardOutput = true })!;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return process;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        process.Kill();
        throw new InvalidOperationException($"redis-server did not listen on {port}");
    }
}
