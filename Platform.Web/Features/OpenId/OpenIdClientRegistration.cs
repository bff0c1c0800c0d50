using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Platform.Web.Hosting;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Web.Features.OpenId;

/// <summary>Registers the portal's own clients at start-up: the browser lab (public, PKCE) and services (client credentials).</summary>
public sealed class OpenIdClientRegistration(IServiceProvider services, IOptions<OpenIdOptions> options, IOptions<PlatformOptions> platform, IWebHostEnvironment environment)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();

        var lab = new OpenIddictApplicationDescriptor
        {
            ClientId = OpenIdExtensions.LabClientId,
            ClientType = ClientTypes.Public,
            DisplayName = "WebVM lab (browser)",
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile, Permissions.Scopes.Email, Permissions.Prefixes.Scope + OpenIdExtensions.LabScope,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in options.Value.LabRedirectUris)
            lab.RedirectUris.Add(new Uri(uri));
        await Upsert(manager, lab, cancellationToken);

        await Upsert(manager, new OpenIddictApplicationDescriptor
        {
            ClientId = OpenIdExtensions.ServicesClientId,
            ClientSecret = ServicesSecret(),
            ClientType = ClientTypes.Confidential,
            DisplayName = "Course services",
            Permissions =
            {
                Permissions.Endpoints.Token, Permissions.Endpoints.Introspection,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.Prefixes.Scope + OpenIdExtensions.GradesScope,
            },
        }, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task Upsert(IOpenIddictApplicationManager manager, OpenIddictApplicationDescriptor descriptor, CancellationToken cancellationToken)
    {
        var existing = await manager.FindByClientIdAsync(descriptor.ClientId!, cancellationToken);
        if (existing is null)
            await manager.CreateAsync(descriptor, cancellationToken);
        else
            await manager.UpdateAsync(existing, descriptor, cancellationToken);
    }

    /// <summary>The configured secret, or one generated once into the data folder (readable by its owner only).</summary>
    private string ServicesSecret()
    {
        if (!string.IsNullOrEmpty(options.Value.ServicesClientSecret))
            return options.Value.ServicesClientSecret;
        var file = Path.Combine(platform.Value.ResolveDataDirectory(environment.ContentRootPath), "services-client-secret");
        // A blank file counts as none: the repository once shipped an empty one, and "" is no secret
        // (OpenIddict refuses it and the portal would not start).
        if (!File.Exists(file) || string.IsNullOrWhiteSpace(File.ReadAllText(file)))
        {
            File.WriteAllText(file, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return File.ReadAllText(file).Trim();
    }
}
