namespace Platform.Web.Features.Submissions;

public sealed class SubmissionOptions
{
    public const string Section = "Submissions";

    public long MaxTotalBytes { get; set; } = 20 * 1024 * 1024;
    public int MaxFiles { get; set; } = 200;
    /// <summary>File name extensions accepted ("" for names without one, like Makefile).</summary>
    public List<string> AllowedExtensions { get; set; } = [];
}
