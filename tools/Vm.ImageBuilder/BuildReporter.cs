namespace Vm.ImageBuilder;

/// <summary>What a build tells the person waiting: the stage, the overall fraction done, and every log line.</summary>
public interface IBuildReporter
{
    void Stage(string stage);
    /// <summary>Overall progress of the build, 0 to 1.</summary>
    void Progress(double fraction);
    void Log(string line);
}

/// <summary>Progress for people on a terminal: stages and percentages on stderr, tool output only when asked.</summary>
public sealed class ConsoleReporter(TextWriter output, bool verbose) : IBuildReporter
{
    private int lastPercent = -1;
    private string lastStage = "";

    public void Stage(string stage)
    {
        if (stage == lastStage)
            return;
        lastStage = stage;
        output.WriteLine($"== {stage}");
    }

    public void Progress(double fraction)
    {
        var percent = (int)Math.Floor(fraction * 100);
        if (percent == lastPercent)
            return;
        lastPercent = percent;
        output.WriteLine($"   {percent,3}%");
    }

    public void Log(string line)
    {
        if (verbose)
            output.WriteLine($"   {line}");
    }
}

/// <summary>A failure the build explains (a bad recipe, a tool that said no); its message is for people.</summary>
public sealed class ImageBuildException(string message, Exception? inner = null) : Exception(message, inner);
