using Platform.Data.Entities;

namespace Platform.Web.Features.Tenants;

public static class TenantEndpoints
{
    /// <summary>The landing page's "go to my school" form.</summary>
    public static IEndpointRouteBuilder MapTenantEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/go", (string? school, HttpContext http) =>
        {
            var slug = school?.Trim().ToLowerInvariant();
            return Tenant.IsValidSlug(slug)
                ? Results.LocalRedirect($"{http.Request.PathBase}/t/{slug}/")
                : Results.LocalRedirect($"{http.Request.PathBase}/");
        }).AllowAnonymous();
        return app;
    }
}
