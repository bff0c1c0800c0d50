using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Accounts;

namespace Platform.Web.Hosting;

public static class IdentityExtensions
{
    public static WebApplicationBuilder AddPlatformIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies(cookies =>
            cookies.ApplicationCookie?.Configure(cookie =>
            {
                cookie.LoginPath = "/account/login";
                cookie.AccessDeniedPath = "/account/denied";
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                cookie.Cookie.Name = "webvm.session";
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                // API and hub callers get a status code, not an HTML redirect.
                cookie.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
                cookie.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
            }));

        services.AddIdentityCore<PlatformUser>(identity =>
            {
                // Length over composition rules (NIST SP 800-63B): long passphrases, no forced symbols.
                identity.Password.RequiredLength = 10;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireLowercase = false;
                identity.Password.RequireDigit = false;
                identity.Lockout.MaxFailedAccessAttempts = 5;
                identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                identity.User.RequireUniqueEmail = true;
                identity.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<PlatformDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<PlatformClaimsFactory>();
        services.AddSingleton<IEmailSender<PlatformUser>, OutboxEmailSender>();
        services.AddSingleton<EmailOutbox>();

        services.AddScoped<IAuthorizationHandler, TenantMemberHandler>();
        services.AddScoped<IAuthorizationHandler, CourseAuthorizationHandler>();
        services.AddScoped<CourseAccess>();
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new TenantMemberRequirement()).Build())
            .AddPolicy(Policies.TenantAdmin, policy => policy.RequireAuthenticatedUser()
                .AddRequirements(new TenantMemberRequirement()).RequireClaim(Tenancy.PlatformClaims.TenantAdmin, "true"))
            .AddPolicy(Policies.PlatformAdmin, policy => policy.RequireAuthenticatedUser()
                .RequireClaim(Tenancy.PlatformClaims.PlatformAdmin, "true"));
        services.AddCascadingAuthenticationState();
        return builder;
    }

    private static Task RedirectOrStatus(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || context.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal))
        {
            context.Response.StatusCode = status;
            // A bare status: the status-code page would re-run the request against a page, turning a
            // refused POST (hub negotiate, API) into a 400 antiforgery error and a 401 into "Not found".
            if (context.HttpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } pages)
                pages.Enabled = false;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
