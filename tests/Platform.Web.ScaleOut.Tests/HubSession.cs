using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Platform.Web.ScaleOut.Tests;

public static class HubSession
{
    /// <summary>A started connection to one instance's submission hub, as the lab client makes it.</summary>
    public static async Task<HubConnection> ConnectAsync(PortalInstance instance, string cookie)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(instance.Server.BaseAddress, "t/demo/hubs/submissions"), options =>
            {
                options.HttpMessageHandlerFactory = _ => instance.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                options.Headers["Cookie"] = cookie;
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }
}
