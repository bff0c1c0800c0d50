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
        var request = context.Context.GetHttpContext()?.RequestServices.GetRequiredService<RequestTenant>();
        if (request?.Tenant is null)
            throw new HubException("Connect through your school's address.");
        context.Context.Items[TenantKey] = request.Tenant;
        context.ServiceProvider.GetRequiredService<RequestTenant>().Select(request.Tenant);
        await next(context);
    }

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (context.Context.Items[TenantKey] is not Tenant tenant)
            throw new HubException("Connect through your school's address.");
        context.ServiceProvider.GetRequiredService<RequestTenant>().Select(tenant);
        return next(context);
    }
}
