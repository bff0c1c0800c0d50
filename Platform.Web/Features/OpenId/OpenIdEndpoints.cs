using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation.AspNetCore;
using Platform.Data.Entities;
using Platform.Web.Tenancy;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Web.Features.OpenId;

/// <summary>The parts of the OpenID Connect flows OpenIddict hands back to the portal: who the user is.</summary>
public static class OpenIdEndpoints
{
    public static IEndpointRouteBuilder MapOpenIdEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/connect/authorize", ["GET", "POST"], (Delegate)AuthorizeAsync);
        app.MapPost("/connect/token", (Delegate)TokenAsync);
        app.MapMethods("/connect/userinfo", ["GET", "POST"], (Delegate)UserInfo)
            .RequireAuthorization(policy => policy.AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme).RequireAuthenticatedUser());
        return app;
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, CurrentUser user, UserManager<PlatformUser> users, SignInManager<PlatformUser> signIn)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (user.Id is not { } userId || await users.FindByIdAsync(userId.ToString()) is not { } account)
        {
            // Not signed in at this school: sign in, then come back to this very request.
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + http.Request.QueryString },
                [IdentityConstants.ApplicationScheme]);
        }
        var principal = await signIn.CreateUserPrincipalAsync(account);
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.SetClaim(Claims.Subject, account.Id.ToString())
            .SetClaim(Claims.Name, account.DisplayName)
            .SetClaim(Claims.Email, account.Email);
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(DestinationsOf);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> TokenAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsClientCredentialsGrantType())
        {
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId).SetClaim(Claims.Name, request.ClientId);
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // The code or refresh token carries the principal made at the authorization endpoint.
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (result.Principal is null)
                return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
            return Results.SignIn(result.Principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        return Results.BadRequest(new { error = Errors.UnsupportedGrantType });
    }

    private static IResult UserInfo(ClaimsPrincipal principal) => Results.Ok(new Dictionary<string, string?>
    {
        [Claims.Subject] = principal.GetClaim(Claims.Subject),
        [Claims.Name] = principal.GetClaim(Claims.Name),
        [Claims.Email] = principal.GetClaim(Claims.Email),
        ["tenant"] = principal.GetClaim(PlatformClaims.Tenant),
    });

    private static IEnumerable<string> DestinationsOf(Claim claim) => claim.Type switch
    {
        Claims.Name or Claims.Email => [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.Subject or PlatformClaims.Tenant or PlatformClaims.TenantAdmin => [Destinations.AccessToken],
        // Identity's security stamp and the like stay on the server.
        _ => [],
    };
}
