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

    public string Label => $"{Name} {Version}";
}
