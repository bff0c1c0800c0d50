using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Jobs;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

public sealed record JobRun(string Payload, Guid? TenantId, Guid? SelectedTenantId);

/// <summary>Collects the runs of <see cref="RecordingJob"/>.</summary>
public sealed class JobRecorder
{
    public Channel<JobRun> Runs { get; } = Channel.CreateUnbounded<JobRun>();

    public async Task<JobRun> NextAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await Runs.Reader.ReadAsync(cancel.Token);
    }
}

/// <summary>A job that records what it ran with, or fails when its payload says so.</summary>
public sealed class RecordingJob(JobRecorder recorder, RequestTenant tenant) : IPlatformJob
{
    public const string KindName = "test-record";
    public string Kind => KindName;

    public Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken)
    {
        if (payload.TryGetProperty("fail", out var fail) && fail.GetBoolean())
            throw new InvalidOperationException("The recording job was told to fail.");
        recorder.Runs.Writer.TryWrite(new JobRun(payload.GetRawText(), tenantId, tenant.TenantId));
        return Task.CompletedTask;
    }
}

/// <summary>The portal with <see cref="RecordingJob"/> registered.</summary>
public sealed class JobsPortal : PortalFactory
{
    public JobRecorder Recorder { get; } = new();

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        services.AddSingleton(Recorder);
        services.AddScoped<IPlatformJob, RecordingJob>();
    }
}
