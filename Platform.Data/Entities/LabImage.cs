namespace Platform.Data.Entities;

public enum LabImageStatus
{
    Registered = 0,
    Building = 1,
    Ready = 2,
    Failed = 3,
}

/// <summary>A versioned Linux machine image a course's assignments boot.</summary>
public sealed class LabImage : ITenantOwned
{
    private LabImage() { }

    public LabImage(Course course, string name, string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        TenantId = course.TenantId;
        CourseId = course.Id;
        Name = name.Trim();
        Version = version.Trim();
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid CourseId { get; private set; }
    public string Name { get; private set; } = "";
    public string Version { get; private set; } = "";
    public string Description { get; set; } = "";
    /// <summary>The kernel command line the lab boots with.</summary>
    public string KernelCommandLine { get; set; } = "console=ttyS0 quiet";
    public int MemoryMiB { get; set; } = 256;
    /// <summary>The recipe's text (base image, packages, files), as in the course package.</summary>
    public string Recipe { get; set; } = "";
    public LabImageStatus Status { get; set; } = LabImageStatus.Registered;
    public DateTimeOffset CreatedAt { get; private set; } = DateTimeOffset.UtcNow;

    /// <summary>The published disk image (its manifest's SHA-256); kept when a later build fails.</summary>
    [System.ComponentModel.DataAnnotations.MaxLength(64)]
    public string? ManifestHash { get; private set; }
    public long? DiskBytes { get; private set; }
    public DateTimeOffset? BuiltAt { get; private set; }
    /// <summary>The current or last build: what it is doing, how far (0–100), and its log.</summary>
    [System.ComponentModel.DataAnnotations.MaxLength(200)]
    public string BuildStage { get; private set; } = "";
    public int BuildPercent { get; private set; }
    public string BuildLog { get; private set; } = "";
    public DateTimeOffset? BuildStartedAt { get; private set; }

    public void StartBuild(DateTimeOffset now)
    {
        Status = LabImageStatus.Building;
        BuildStage = "Queued";
        BuildPercent = 0;
        BuildLog = "";
        BuildStartedAt = now;
    }

    public void ReportBuild(string stage, int percent, string log)
    {
        BuildStage = stage;
        BuildPercent = Math.Clamp(percent, 0, 100);
        BuildLog = log;
    }

    public void BuildSucceeded(string manifestHash, long diskBytes, string log, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(manifestHash);
        ManifestHash = manifestHash;
        DiskBytes = diskBytes;
        BuiltAt = now;
        Status = LabImageStatus.Ready;
        BuildStage = "Ready";
        BuildPercent = 100;
        BuildLog = log;
    }

    /// <summary>The log is kept for the teacher; the image published before (if any) stays published.</summary>
    public void BuildFailed(string log)
    {
        Status = LabImageStatus.Failed;
        BuildStage = "Failed";
        BuildLog = log;
    }

    /// <summary>
    /// The machine saved right after boot (at the shell), as an image in the image store (its manifest's
    /// SHA-256); machines resume from it instead of booting. Valid only for the boot it was taken of.
    /// </summary>
    [System.ComponentModel.DataAnnotations.MaxLength(64)]
    public string? SnapshotManifestHash { get; private set; }
    /// <summary>What the snapshot was taken of: a hash of kernel, initramfs, command line, RAM and disk.</summary>
    [System.ComponentModel.DataAnnotations.MaxLength(64)]
    public string? SnapshotBootKey { get; private set; }
    public DateTimeOffset? SnapshotTakenAt { get; private set; }

    public void SnapshotTaken(string manifestHash, string bootKey, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(manifestHash);
        ArgumentException.ThrowIfNullOrWhiteSpace(bootKey);
        SnapshotManifestHash = manifestHash;
        SnapshotBootKey = bootKey;
        SnapshotTakenAt = now;
    }

    public string Label => $"{Name} {Version}";
}
