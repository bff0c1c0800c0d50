namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// Tests that touch process-wide state run alone: Hangfire keeps its storage in a static
/// (JobStorage.Current), and the command-line verbs set Environment.ExitCode.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
