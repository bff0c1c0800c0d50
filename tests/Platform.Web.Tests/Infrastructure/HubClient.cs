using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;

namespace Platform.Web.Tests.Infrastructure;

public static class HubClient
{
    /// <summary>A real SignalR client over the TestServer (long polling), carrying a session cookie.</summary>
    public static HubConnection Build(TestServer server, string tenant, string? sessionCookie) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, $"t/{tenant}/hubs/submissions"), options =>
            {
                options.HttpMessageHandlerFactory = _ => server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                if (sessionCookie is not null)
                    options.Headers["Cookie"] = $"{PortalClient.SessionCookieName}={sessionCookie}";
            })
            .Build();

    public static async Task<HubConnection> ConnectAsync(TestServer server, string tenant, string? sessionCookie)
    {
        var connection = Build(server, tenant, sessionCookie);
        await connection.StartAsync();
        return connection;
    }
}
