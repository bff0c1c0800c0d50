using Microsoft.AspNetCore.SignalR;
using Platform.Data.Entities;
using Platform.Web.Tenancy;

namespace Platform.Web.Hubs;

/// <summary>
/// Each hub call runs in a scope of its own, after the request that opened the connection; this
/// carries that request's tenant into every call so the data filters see the right tenant.
/// </summary>
public sealed class TenantHubFilter : IHubFilter
{
    private const string TenantKey = "webvm:tenant";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        // Over WebSockets the connection keeps the request that opened it; over long polling and
        // server-sent events it keeps a copy with the request's Items but no request services, so the
        // tenant comes from the Items the tenant middleware filled.
        var http = context.Context.GetHttpContext();
        var tenant = http?.Items[TenantResolutionMiddleware.ItemKey] as Tenant;
        if (tenant is null)
            throw new HubException("Connect through your school's address.");
        context.Context.Items[TenantKey] = tenant;
        context.ServiceProvider.GetRequiredService<RequestTenant>().Select(tenant);
        UseConnectionRequest(context.ServiceProvider, http);
        await next(context);
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (context.Context.Items[TenantKey] is not Tenant tenant)
            throw new HubException("Connect through your school's address.");
        context.ServiceProvider.GetRequiredService<RequestTenant>().Select(tenant);
        UseConnectionRequest(context.ServiceProvider, context.Context.GetHttpContext());
        return await next(context);
    }

    /// <summary>
    /// CurrentUser reads the user through IHttpContextAccessor; outside WebSockets the request that
    /// started the connection has ended by the time a call arrives, so point it at the connection's.
    /// (Set inside an async method: the value flows into the call and no further.)
    /// </summary>
    private static void UseConnectionRequest(IServiceProvider services, HttpContext? http)
    {
        if (http is not null)
            services.GetRequiredService<IHttpContextAccessor>().HttpContext = http;
    }
}
