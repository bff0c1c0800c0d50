namespace Platform.Web.Security;

/// <summary>
/// Headers every response carries. Scripts only from the portal itself; student files are always
/// downloads (see SubmissionEndpoints), so nothing a student uploads runs on this origin.
/// 'wasm-unsafe-eval' lets the lab's Blazor WebAssembly runtime compile its WebAssembly; it allows no JavaScript eval.
/// </summary>
public sealed partial class SecurityHeadersMiddleware(RequestDelegate next)
{
    // No inline script or style: markup injected into a page (a teacher's Markdown, a student's file
    // name) can neither run nor restyle it. 'wasm-unsafe-eval' lets the lab's Blazor WebAssembly
    // runtime compile its .wasm; it does not allow eval() of JavaScript.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'";

    // The lab page only: xterm.js writes its own <style> elements (theme colours and the cell metrics
    // it measures at run time), which no hash can name in advance. Scripts stay as strict as anywhere.
    private static readonly string LabPagePolicy = ContentSecurityPolicy.Replace("style-src 'self'", "style-src 'self' 'unsafe-inline'", StringComparison.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex("^/assignments/[0-9a-fA-F-]{36}/lab/?$")]
    private static partial System.Text.RegularExpressions.Regex LabPage();

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            // Hangfire's dashboard brings inline scripts of its own; it is for platform admins only.
            if (!context.Request.Path.StartsWithSegments("/hangfire"))
                headers.ContentSecurityPolicy = LabPage().IsMatch(context.Request.Path.Value ?? "") ? LabPagePolicy : ContentSecurityPolicy;
            return Task.CompletedTask;
        });
        return next(context);
    }
}
