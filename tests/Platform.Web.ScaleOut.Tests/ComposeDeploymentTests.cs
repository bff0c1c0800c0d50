using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Platform.Web.Features.LabImages;
using Platform.Web.Features.Labs;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// docker/compose.yaml cannot run here (no Docker daemon), so this runs what it describes with what
/// can: the portal services' environment exactly as the compose file gives it (its anchors merged)
/// on top of the image's ENV from docker/Dockerfile, for two real portal processes, with the proxy's
/// own nginx.conf in front of them. Only addresses change: the compose service names (postgres, redis,
/// portal-1, portal-2) become the local servers and ports, and the /data volume a folder both share.
/// </summary>
public sealed partial class ComposeDeploymentTests
{
    [Fact]
    public async Task ComposeFile_TwoPortalsBehindItsNginx_ServeOneSchool_WithoutDocker()
    {
        var repo = RepositoryRoot();
        var compose = ReadCompose(Path.Combine(repo, "docker", "compose.yaml"));
        var image = ReadDockerfileEnv(Path.Combine(repo, "docker", "Dockerfile"));
        using var redis = await PrivateRedis.StartAsync(); // the compose budget of 20 sign-ins a minute, counted in a Redis of this test's own
        var database = await SharedServices.NewDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("webvm-compose-").FullName;
        var ports = new Dictionary<string, int> { ["portal-1"] = PortalProcess.FreePort(), ["portal-2"] = PortalProcess.FreePort() };
        var proxyPort = PortalProcess.FreePort();

        PortalProcess? first = null, second = null;
        Process? proxy = null;
        try
        {
            // The compose file orders portal-2 after portal-1 is healthy (it migrates and seeds).
            first = await StartServiceAsync(compose, image, "portal-1", ports["portal-1"], database, redis, data);
            Assert.Equal(0, await RunHealthcheckAsync(compose, "portal-1", ports["portal-1"]));
            second = await StartServiceAsync(compose, image, "portal-2", ports["portal-2"], database, redis, data);
            proxy = await StartProxyAsync(Path.Combine(repo, "docker", "proxy", "nginx.conf"), ports, proxyPort, data);

            // The demo password is the one portal-1 made and wrote to the shared volume (the compose file says to read it there).
            var password = DemoPassword().Match(await File.ReadAllTextAsync(Path.Combine(data, "demo-accounts.txt"))).Groups[1].Value;
            Assert.NotEmpty(password);
            var session = await second.SignInAsync("teacher@demo.test", password);

            // Someone not signed in who opens a course page through the proxy is sent to the sign-in page
            // at the address they used (the proxy must pass the Host with its port, and the scheme).
            var proxyAddress = new Uri($"http://127.0.0.1:{proxyPort}/");
            using (var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = proxyAddress })
            {
                var response = await anonymous.GetAsync("t/demo/courses");
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                var login = new Uri(proxyAddress, response.Headers.Location!);
                Assert.Equal(proxyAddress.Authority, login.Authority);
                Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(login)).StatusCode);
            }

            // The same session through the proxy and directly on the first instance: keys and data are shared.
            foreach (var address in new[] { new Uri($"http://127.0.0.1:{proxyPort}/"), first.Address })
            {
                using var client = new HttpClient { BaseAddress = address };
                client.DefaultRequestHeaders.Add("Cookie", session);
                var response = await client.GetAsync("t/demo/courses");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Contains("Introduction to Linux", await response.Content.ReadAsStringAsync());
            }
            // The proxy carries the lab's hub (negotiate, then a WebSocket upgrade) to an instance.
            await using var hub = new HubConnectionBuilder()
                .WithUrl(new Uri($"http://127.0.0.1:{proxyPort}/t/demo/hubs/submissions"), options =>
                {
                    options.Transports = HttpTransportType.WebSockets;
                    options.Headers["Cookie"] = session;
                })
                .Build();
            await hub.StartAsync();
            Assert.Equal(HubConnectionState.Connected, hub.State);

            // Labs can start: the image carries the guest kernel and initramfs (the Dockerfile's guest
            // stage), and a lab's machine description through the proxy names them, downloadable.
            using (var proxied = new HttpClient { BaseAddress = new Uri(proxyAddress, "t/demo/") })
            {
                proxied.DefaultRequestHeaders.Add("Cookie", session);
                var machine = await proxied.GetAsync($"assignments/{await LabAssignmentAsync(database)}/lab/machine.json");
                Assert.True(machine.IsSuccessStatusCode, $"machine.json: {(int)machine.StatusCode} {await machine.Content.ReadAsStringAsync()}");
                var kernel = (await machine.Content.ReadFromJsonAsync<LabMachineDescription>())!.Kernel;
                var bytes = await proxied.GetByteArrayAsync(kernel.Url);
                Assert.Equal(kernel.Bytes, bytes.Length);
                Assert.Equal(kernel.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }
        }
        finally
        {
            if (proxy is { HasExited: false })
                proxy.Kill();
            proxy?.Dispose();
            if (second is not null)
                await second.DisposeAsync();
            if (first is not null)
                await first.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<PortalProcess> StartServiceAsync(Dictionary<object, object> compose, Dictionary<string, string> image,
        string service, int port, string database, PrivateRedis redis, string data)
    {
        var environment = new Dictionary<string, string>(image);
        foreach (var (key, value) in Map(Map(Map(compose, "services"), service), "environment"))
            environment[(string)key] = Interpolate((string)value);

        // The addresses of the compose network, mapped to the local servers; everything else as written.
        Assert.Equal("http://+:8080", environment["ASPNETCORE_URLS"]);
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        Assert.Equal("/data", environment["Platform__DataDirectory"]);
        environment["Platform__DataDirectory"] = data;
        // The image's copy of the guest images is this machine's (the same script builds both).
        Assert.Equal("/app/guest", environment["LabImages__GuestDirectory"]);
        environment["LabImages__GuestDirectory"] = new LabImageOptions().ResolveGuestDirectory();
        var written = new NpgsqlConnectionStringBuilder(environment["ConnectionStrings__Platform"]);
        Assert.Equal(("postgres", "webvm", "webvm", DocumentedVariables["POSTGRES_PASSWORD"]), (written.Host, written.Database, written.Username, written.Password));
        // The postgres service creates that user and database with that password.
        var postgres = Map(Map(Map(compose, "services"), "postgres"), "environment");
        Assert.Equal((written.Username, written.Database, written.Password),
            (Interpolate((string)postgres["POSTGRES_USER"]), Interpolate((string)postgres["POSTGRES_DB"]), Interpolate((string)postgres["POSTGRES_PASSWORD"])));
        var local = new NpgsqlConnectionStringBuilder(database);
        (written.Host, written.Port, written.Database, written.Username, written.Password) = (local.Host, local.Port, local.Database, local.Username, null);
        environment["ConnectionStrings__Platform"] = written.ConnectionString;
        Assert.StartsWith("redis:6379,", environment["Platform__Redis"]);
        environment["Platform__Redis"] = $"127.0.0.1:{redis.Port}" + environment["Platform__Redis"]["redis:6379".Length..];
        return await PortalProcess.StartWithEnvironmentAsync(environment, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Runs the service's healthcheck command as written, against the local port.</summary>
    private static async Task<int> RunHealthcheckAsync(Dictionary<object, object> compose, string service, int port)
    {
        var test = ((List<object>)Map(Map(Map(compose, "services"), service), "healthcheck")["test"]).Cast<string>().ToList();
        Assert.Equal("CMD", test[0]);
        using var check = Process.Start(new ProcessStartInfo(test[1], test.Skip(2).Select(a => a.Replace("/8080", $"/{port}"))))!;
        await check.WaitForExitAsync();
        return check.ExitCode;
    }

    /// <summary>nginx with docker/proxy/nginx.conf, its upstream names and port pointed at the local processes.</summary>
    private static async Task<Process> StartProxyAsync(string configPath, Dictionary<string, int> ports, int proxyPort, string data)
    {
        var config = await File.ReadAllTextAsync(configPath);
        foreach (var (service, port) in ports)
        {
            Assert.Contains($"server {service}:8080", config);
            config = config.Replace($"server {service}:8080", $"server 127.0.0.1:{port}");
        }
        Assert.Contains("listen 80;", config);
        config = config.Replace("listen 80;", $"listen 127.0.0.1:{proxyPort};");
        var folder = Directory.CreateDirectory(Path.Combine(data, "proxy")).FullName;
        // Run in the foreground with its pid and logs in the test's folder (the container's defaults need root paths).
        config = (Environment.UserName == "root" ? "user root;\n" : "") + $"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n" + config.Replace("http {", $"http {{\n    access_log off;\n    client_body_temp_path {folder};\n    proxy_temp_path {folder};");
        await File.WriteAllTextAsync(Path.Combine(folder, "nginx.conf"), config);
        var proxy = Process.Start(new ProcessStartInfo("nginx", ["-p", folder, "-c", Path.Combine(folder, "nginx.conf")]) { RedirectStandardError = true })!;
        using var client = new HttpClient();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (proxy.HasExited)
                throw new InvalidOperationException($"nginx exited: {await proxy.StandardError.ReadToEndAsync()}");
            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{proxyPort}/t/demo/account/login")).StatusCode == HttpStatusCode.OK)
                    return proxy;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The proxy did not answer.");
    }

    private static Dictionary<object, object> ReadCompose(string path)
    {
        using var reader = new StreamReader(path);
        // The compose file shares the portal settings through an anchor and merge keys (<<: *portal).
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
    }

    /// <summary>A demo assignment with a lab, as the seeded database has it.</summary>
    private static async Task<Guid> LabAssignmentAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"Id\" FROM \"Assignments\" WHERE \"LabImageId\" IS NOT NULL LIMIT 1", connection);
        return (Guid)(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException("the demo school has no assignment with a lab"));
    }

    /// <summary>The ENV instruction of the final stage, with its line continuations.</summary>
    private static Dictionary<string, string> ReadDockerfileEnv(string path)
    {
        var text = File.ReadAllText(path).Replace("\\\n", " ");
        var env = text.Split('\n').Last(line => line.StartsWith("ENV ", StringComparison.Ordinal))[4..];
        return env.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    /// <summary>
    /// Compose's variable substitution (${NAME}, ${NAME:?error}, ${NAME:-default}) with the one variable
    /// the deployment's instructions set; any other variable without a default fails the test, as
    /// `docker compose up` would stop on a required one nobody was told to set.
    /// </summary>
    private static string Interpolate(string value) => ComposeVariable().Replace(value, match =>
    {
        var name = match.Groups["name"].Value;
        if (DocumentedVariables.TryGetValue(name, out var set))
            return set;
        Assert.True(match.Groups["op"].Value == ":-", $"compose.yaml needs ${{{name}}}, which its instructions do not set");
        return match.Groups["arg"].Value;
    });

    private static readonly Dictionary<string, string> DocumentedVariables = new() { ["POSTGRES_PASSWORD"] = "compose-test-password" };

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:\?|:-|\?|-)(?<arg>[^}]*))?\}")]
    private static partial Regex ComposeVariable();

    private static Dictionary<object, object> Map(Dictionary<object, object> parent, string key) => (Dictionary<object, object>)parent[key];

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "WebVm.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("WebVm.sln not found above the test assembly");
    }

    [GeneratedRegex(@"password for all: (\S+)")]
    private static partial Regex DemoPassword();
}
