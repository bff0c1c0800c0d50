using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Web.Features.Accounts;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>A portal logging everything, down to Trace, into a list the test reads.</summary>
public sealed class LogCapturingPortal : PortalFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [new("Logging:LogLevel:Default", "Trace"), new("Logging:LogLevel:Microsoft.AspNetCore", "Trace"), new("Logging:LogLevel:Microsoft", "Trace")];

    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.AddSingleton<ILoggerProvider>(new CapturingProvider(Lines));

    private sealed class CapturingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, lines);
        public void Dispose() { }
    }

    /// <summary>Keeps the formatted message, every structured value and the exception, as a log sink would store them.</summary>
    private sealed class Capturing(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}

/// <summary>
/// Secrets that pass through the portal (passwords, session cookies, reset links, the services
/// client's secret and the tokens it is issued) appear in no log line at any level.
/// </summary>
public sealed class SecretsInLogsTests(LogCapturingPortal portal) : IClassFixture<LogCapturingPortal>
{
    [Fact]
    public async Task SignInResetAndTokens_AtTraceLevel_LeaveNoSecretInTheLogs()
    {
        // A person signs in, fails once, asks for a reset link; a service gets a token.
        using var teacher = await portal.SignInAsync("teacher@demo.test");
        using var guesser = portal.CreatePortalClient();
        const string wrongPassword = "a-wrong-guess-4711";
        await guesser.PostLoginAsync(PortalFactory.Demo, "grader@demo.test", wrongPassword);
        using var forgetful = portal.CreatePortalClient();
        var token = await forgetful.AntiforgeryTokenAsync("t/demo/account/forgot-password");
        await forgetful.Http.PostAsync("t/demo/account/forgot-password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "forgot",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = "linus@demo.test",
        }));
        var linus = await portal.FindUserAsync("linus@demo.test");
        var resetLink = portal.Services.GetRequiredService<EmailOutbox>().LatestFor(linus.Id, "Reset your password")?.Link
            ?? throw new InvalidOperationException("No reset mail was queued.");
        var tokenResponse = await guesser.Http.PostAsync("t/demo/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "webvm-services",
            ["client_secret"] = PortalFactory.ServicesSecret,
        }));
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var accessToken = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;

        var log = string.Join("\n", portal.Lines);
        Assert.Contains("queued for user", log);
        Assert.True(portal.Lines.Count > 50, $"Only {portal.Lines.Count} log lines: is logging on?");
        var resetCode = System.Web.HttpUtility.ParseQueryString(new Uri(resetLink).Query)["code"];
        foreach (var (name, secret) in new[]
        {
            ("the password", PortalFactory.Password),
            ("a wrong password", wrongPassword),
            ("the session cookie", teacher.SessionCookie!),
            ("the reset link", resetLink),
            ("the reset code", resetCode ?? resetLink),
            ("the services secret", PortalFactory.ServicesSecret),
            ("the access token", accessToken),
            ("the antiforgery token", token),
        })
        {
            var leak = portal.Lines.FirstOrDefault(l => l.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"{name} is in the log: {leak}");
        }
    }
}
