using System.Diagnostics;

namespace Vm.ImageBuilder;

/// <summary>Runs the system tools a build needs (debootstrap, mke2fs); replaceable so tests never run them.</summary>
public interface IProcessRunner
{
    /// <summary>Runs <paramref name="file"/> to its end, passing each line of stdout and stderr to <paramref name="onLine"/>; returns the exit code.</summary>
    Task<int> RunAsync(string file, IReadOnlyList<string> arguments, Action<string> onLine, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null);
}

public sealed class SystemProcessRunner : IProcessRunner
{
    public async Task<int> RunAsync(string file, IReadOnlyList<string> arguments, Action<string> onLine, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C";
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = new Process { StartInfo = start };
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) onLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) onLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ImageBuildException($"'{file}' could not be started ({e.Message}); is it installed?", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        process.WaitForExit(); // drains the output events
        return process.ExitCode;
    }
}
