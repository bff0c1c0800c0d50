using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Platform.Data.Entities;

namespace Platform.Web.Features.Accounts;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // POST only, with the antiforgery token: a link or image cannot sign someone out.
        app.MapPost("/account/logout", async (SignInManager<PlatformUser> signIn, HttpContext http, IAntiforgery antiforgery) =>
        {
            // Checked here: minimal APIs validate the token only for endpoints that bind form fields.
            if (!await antiforgery.IsRequestValidAsync(http))
                return Results.BadRequest();
            await signIn.SignOutAsync();
            return Results.LocalRedirect($"{http.Request.PathBase}/account/login");
        });
        return app;
    }
}
