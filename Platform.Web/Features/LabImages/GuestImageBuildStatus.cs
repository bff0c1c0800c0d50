namespace Platform.Web.Features.LabImages;

public enum GuestImageBuildState { NotStarted, Building, Failed, Built }

/// <summary>Where this portal's own build of the guest images stands (<see cref="GuestImageBootstrap"/>), for the lab page.</summary>
public sealed class GuestImageBuildStatus
{
    private readonly Lock gate = new();
    private GuestImageBuildState state;
    private string detail = "";

    /// <summary>The state and, while building, the last step (else why it failed).</summary>
    public (GuestImageBuildState State, string Detail) Current
    {
        get { lock (gate) return (state, detail); }
    }

    public void Start() => Set(GuestImageBuildState.Building, "starting");
    public void Report(string step) => Set(GuestImageBuildState.Building, step);
    public void Fail(string why) => Set(GuestImageBuildState.Failed, why);
    public void Finish() => Set(GuestImageBuildState.Built, "");

    private void Set(GuestImageBuildState next, string text)
    {
        lock (gate) (state, detail) = (next, text);
    }
}
