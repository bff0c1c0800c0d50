namespace Platform.Web.Features.Autograding;

/// <summary>Limits of the autograder ("Autograding" in configuration).</summary>
public sealed class AutogradeOptions
{
    public const string Section = "Autograding";

    /// <summary>Machines running at once in this portal instance (each takes a CPU core while it runs).</summary>
    public int MaxParallelRuns { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);
    /// <summary>The whole run's limit, boot included: a machine still busy then is stopped and the run reported as stopped.</summary>
    public int MaxRunSeconds { get; set; } = 900;
    /// <summary>How long a boot may take to reach the shell before it counts as an infrastructure failure.</summary>
    public int BootSeconds { get; set; } = 600;
    /// <summary>Machine starts per run before an infrastructure failure is final.</summary>
    public int MaxAttempts { get; set; } = 3;
    /// <summary>Characters of console log kept per run (the end is kept).</summary>
    public int ConsoleLogChars { get; set; } = 256 * 1024;
    /// <summary>Characters of output kept per check (the end is kept).</summary>
    public int CheckOutputChars { get; set; } = 16 * 1024;
    /// <summary>Whether runs resume from the lab image's post-boot snapshot (and take one when it is missing).</summary>
    public bool UseSnapshots { get; set; } = true;
}
