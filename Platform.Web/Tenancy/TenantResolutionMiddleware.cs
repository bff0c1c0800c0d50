using Microsoft.Extensions.Options;
using Platform.Web.Hosting;

namespace Platform.Web.Tenancy;

/// <summary>
/// Finds the tenant a request is for, from a <c>/t/SLUG</c> path prefix or a host prefix, and moves the
/// prefix into PathBase: every page, link, form, redirect and hub URL then stays inside the tenant
/// with no tenant parameter anywhere in the routes.
/// </summary>
public sealed class TenantResolutionMiddleware(RequestDelegate next, IOptions<TenancyOptions> options)
{
    public const string PathPrefix = "/t";
    public const string ItemKey = "webvm:tenant";

    public async Task InvokeAsync(HttpContext context, RequestTenant tenant)
    {
        var slug = FromPath(context) ?? FromHost(context.Request.Host.Host, options.Value.HostSuffix);
        if (slug is not null && !await tenant.SelectAsync(slug, context.RequestAborted))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"There is no school '{slug}' here.");
            return;
        }
        // Kept on the request too: a SignalR connection over long polling or server-sent events keeps
        // a copy of the request's Items, but not its services (see TenantHubFilter).
        if (tenant.Tenant is not null)
            context.Items[ItemKey] = tenant.Tenant;
        await next(context);
    }

    private static string? FromPath(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(PathPrefix, out var rest) || !rest.HasValue)
            return null;
        var value = rest.Value!;
        var end = value.IndexOf('/', 1);
        var slug = end < 0 ? value[1..] : value[1..end];
        if (slug.Length == 0)
            return null;
        context.Request.PathBase = context.Request.PathBase.Add($"{PathPrefix}/{slug}");
        context.Request.Path = end < 0 ? "/" : value[end..];
        return slug;
    }

    private static string? FromHost(string host, string suffix)
    {
        if (suffix.Length == 0 || !host.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
            return null;
        return host[..^(suffix.Length + 1)].ToLowerInvariant();
    }
}
