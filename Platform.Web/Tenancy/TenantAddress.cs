namespace Platform.Web.Tenancy;

/// <summary>Where a request names its school: a <c>/t/SLUG</c> path prefix, or a host prefix SLUG.SUFFIX.</summary>
public static class TenantAddress
{
    public const string PathPrefix = "/t";

    /// <summary>The slug at the start of <paramref name="path"/> and the rest of the path, or null.</summary>
    public static (string Slug, string Remainder)? FromPath(PathString path)
    {
        if (!path.StartsWithSegments(PathPrefix, out var rest) || !rest.HasValue)
            return null;
        var value = rest.Value!;
        var end = value.IndexOf('/', 1);
        var slug = end < 0 ? value[1..] : value[1..end];
        return slug.Length == 0 ? null : (slug, end < 0 ? "/" : value[end..]);
    }

    public static string? FromHost(string host, string suffix)
    {
        if (suffix.Length == 0 || !host.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
            return null;
        return host[..^(suffix.Length + 1)].ToLowerInvariant();
    }
}
