using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Platform.Data.Entities;
using Platform.Web.Hosting;
using Platform.Web.Tenancy;

namespace Platform.Web.Hubs;

/// <summary>
/// Each hub call runs in a scope of its own, after the request that opened the connection; this
/// finds the connection's school once, from the address it connected to, and selects it in every call
/// with the connection's user, so the data filters and authorization see the right school and person.
/// </summary>
public sealed class TenantHubFilter(IOptions<TenancyOptions> options) : IHubFilter
{
    private const string TenantKey = "webvm:tenant";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        // Long polling hands the hub a copy of the request, so read the address, not request services.
        var request = context.Context.GetHttpContext()?.Request;
        var slug = request is null ? null
            : TenantAddress.FromPath(request.PathBase)?.Slug ?? TenantAddress.FromHost(request.Host.Host, options.Value.HostSuffix);
        var tenant = context.ServiceProvider.GetRequiredService<RequestTenant>();
        if (slug is null || !await tenant.SelectAsync(slug, context.Context.ConnectionAborted))
            throw new HubException("Connect through your school's address.");
        context.Context.Items[TenantKey] = tenant.Tenant;
        context.ServiceProvider.GetRequiredService<CurrentUser>().ActAs(context.Context.User ?? new System.Security.Claims.ClaimsPrincipal());
        await next(context);
    }

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (context.Context.Items[TenantKey] is not Tenant tenant)
            throw new HubException("Connect through your school's address.");
        context.ServiceProvider.GetRequiredService<RequestTenant>().Select(tenant);
        context.ServiceProvider.GetRequiredService<CurrentUser>().ActAs(context.Context.User ?? new System.Security.Claims.ClaimsPrincipal());
        return next(context);
    }
}
