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

    /// <summary>The same over WebSockets (what browsers use), through the TestServer's WebSocket client.</summary>
    public static HubConnection BuildWebSockets(TestServer server, string tenant, string? sessionCookie) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, $"t/{tenant}/hubs/submissions"), options =>
            {
                options.HttpMessageHandlerFactory = _ => server.CreateHandler();
                options.Transports = HttpTransportType.WebSockets;
                if (sessionCookie is not null)
                    options.Headers["Cookie"] = $"{PortalClient.SessionCookieName}={sessionCookie}";
                options.WebSocketFactory = async (context, cancellationToken) =>
                {
                    var client = server.CreateWebSocketClient();
                    if (sessionCookie is not null)
                        client.ConfigureRequest = request => request.Headers["Cookie"] = $"{PortalClient.SessionCookieName}={sessionCookie}";
                    return await client.ConnectAsync(context.Uri, cancellationToken);
                };
            })
            .Build();

    public static async Task<HubConnection> ConnectAsync(TestServer server, string tenant, string? sessionCookie, bool webSockets = false)
    {
        var connection = webSockets ? BuildWebSockets(server, tenant, sessionCookie) : Build(server, tenant, sessionCookie);
        await connection.StartAsync();
        return connection;
    }
}
