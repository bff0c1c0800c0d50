using System.Security.Cryptography.X509Certificates;
using Platform.Data;
using Platform.Web.Features.OpenId;

namespace Platform.Web.Hosting;

public sealed class OpenIdOptions
{
    public const string Section = "OpenId";

    /// <summary>Plain HTTP is allowed only where the portal is reached on localhost (development, tests).</summary>
    public bool AllowHttp { get; set; } = true;
    /// <summary>Where the browser lab client may be sent back to after sign-in.</summary>
    public List<string> LabRedirectUris { get; set; } = ["http://localhost:5000/lab/signed-in"];
    /// <summary>The secret of the "webvm-services" client; generated into the data folder when not set.</summary>
    public string? ServicesClientSecret { get; set; }
}

public static class OpenIdExtensions
{
    public const string LabClientId = "webvm-lab";
    public const string ServicesClientId = "webvm-services";
    public const string LabScope = "lab";
    public const string GradesScope = "grades";

    public static WebApplicationBuilder AddPlatformOpenId(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(OpenIdOptions.Section).Get<OpenIdOptions>() ?? new();
        var dataDirectory = PlatformOptions.From(builder.Configuration)
            .ResolveDataDirectory(builder.Environment.ContentRootPath);
        builder.Services.Configure<OpenIdOptions>(builder.Configuration.GetSection(OpenIdOptions.Section));
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<PlatformDbContext>().ReplaceDefaultEntities<Guid>())
            .AddServer(server =>
            {
                // Endpoints sit under the tenant's prefix too, so each school is its own issuer
                // (/t/SLUG/.well-known/openid-configuration) and its tokens name its users only.
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetUserInfoEndpointUris("connect/userinfo");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowClientCredentialsFlow()
                    .AllowRefreshTokenFlow();
                server.RegisterScopes("openid", "profile", "email", LabScope, GradesScope);
                // Kept in the data folder, so tokens outlive a restart and every instance accepts them.
                server.AddEncryptionCertificate(OpenIdCertificates.LoadOrCreate(Path.Combine(dataDirectory, "openid-encryption.pfx"), X509KeyUsageFlags.KeyEncipherment))
                    .AddSigningCertificate(OpenIdCertificates.LoadOrCreate(Path.Combine(dataDirectory, "openid-signing.pfx"), X509KeyUsageFlags.DigitalSignature));
                server.DisableAccessTokenEncryption();
                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough();
                if (options.AllowHttp)
                    aspNetCore.DisableTransportSecurityRequirement();
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
            });
        builder.Services.AddHostedService<Features.OpenId.OpenIdClientRegistration>();
        return builder;
    }
}
