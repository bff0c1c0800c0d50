namespace Platform.Web.Features.Submissions;

/// <summary>Why a submission was refused, in words for the student.</summary>
public sealed class SubmissionRejectedException(string message) : Exception(message);

public static class SubmissionFileNames
{
    /// <summary>
    /// A file's path inside a submission: relative, forward slashes, no '..', no control characters.
    /// Returns null for a name that could escape its folder.
    /// </summary>
    public static string? Normalize(string name)
    {
        var path = name.Replace('\\', '/').Trim();
        while (path.StartsWith("./", StringComparison.Ordinal))
            path = path[2..];
        if (path.Length is 0 or > 260 || path.StartsWith('/') || path.Contains(':') || path.Any(char.IsControl))
            return null;
        var parts = path.Split('/');
        return parts.Any(p => p is "" or "." or "..") ? null : path;
    }
}
