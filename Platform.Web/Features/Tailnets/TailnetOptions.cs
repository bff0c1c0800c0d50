namespace Platform.Web.Features.Tailnets;

/// <summary>Settings of the cohort networks (section "Tailnets"); each has a default that works.</summary>
public sealed class TailnetOptions
{
    public const string Section = "Tailnets";

    /// <summary>One attempt of one Headscale call.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Retries of a call that failed transiently (connection refused, 5xx, 408, 429, timeout).</summary>
    public int RetryAttempts { get; set; } = 3;
    /// <summary>First delay between retries; it grows exponentially with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long a student's lab key can be used to join (it works once, and its node leaves when the lab closes).</summary>
    public TimeSpan LabKeyLifetime { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>An offline node not seen for this long is removed by the sweep.</summary>
    public TimeSpan StaleNodeAfter { get; set; } = TimeSpan.FromHours(12);
    /// <summary>The oldest Headscale whose API matches the one this portal speaks (policy v2, numeric user ids).</summary>
    public string MinimumVersion { get; set; } = "0.26.0";
}
