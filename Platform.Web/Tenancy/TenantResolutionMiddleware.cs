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
    public async Task InvokeAsync(HttpContext context, RequestTenant tenant)
    {
        string? slug = null;
        if (TenantAddress.FromPath(context.Request.Path) is var (pathSlug, rest))
        {
            context.Request.PathBase = context.Request.PathBase.Add($"{TenantAddress.PathPrefix}/{pathSlug}");
            context.Request.Path = rest;
            slug = pathSlug;
        }
        slug ??= TenantAddress.FromHost(context.Request.Host.Host, options.Value.HostSuffix);

        if (slug is not null && !await tenant.SelectAsync(slug, context.RequestAborted))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"There is no school '{slug}' here.");
            return;
        }
        await next(context);
    }
}
