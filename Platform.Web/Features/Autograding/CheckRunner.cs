using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Data.Entities;
using Platform.Web.Features.LabImages;

namespace Platform.Web.Features.Autograding;

/// <summary>Everything one run needs, with no database or web types: the portal's job and the benchmark both build one.</summary>
public sealed record CheckRunRequest(
    LabMachineSpec Machine,
    byte[] Kernel,
    byte[] Initrd,
    IReadOnlyList<SubmissionBundle.File> Files,
    IReadOnlyList<AutograderCheck> Checks,
    byte[]? Snapshot,
    bool TakeSnapshot,
    TimeSpan RunLimit,
    TimeSpan BootLimit,
    int ConsoleLogChars = 256 * 1024,
    int CheckOutputChars = 16 * 1024,
    Vm.Engine.Disk.ImageStore? Images = null);

public sealed record CheckRunOutcome(
    IReadOnlyList<CheckResult> Results,
    bool StoppedAtLimit,
    bool UsedSnapshot,
    string Summary,
    string ConsoleLog,
    byte[]? NewSnapshot);

/// <summary>
/// One autograder run in the lab machine: start it at its shell, place the submission and the
/// check scripts (base64 over the serial console into tar), run each check as a script with its
/// time limit, score it by the partial-credit convention, and stop the machine.
/// </summary>
/// <remarks>
/// Files go over the console, not in an extra initramfs: a machine resumed from a snapshot has
/// booted already, and the console is the one channel every lab machine has.
/// Each command's output is framed by markers the guest's shell computes ($((n+0))), so the
/// echoed command line, which shows the expression, never matches.
/// </remarks>
public static partial class CheckRunner
{
    private static readonly TimeSpan PlaceLimit = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(10);

    public static CheckRunOutcome Run(CheckRunRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var started = LabBoot.Start(request.Machine, request.Kernel, request.Initrd, request.Snapshot, request.TakeSnapshot,
            request.BootLimit, request.ConsoleLogChars, cancellationToken, request.Images);
        var console = started.Console;
        try
        {
            TimeSpan Left() => request.RunLimit - clock.Elapsed;
            Place(console, request, cancellationToken);

            var results = new List<CheckResult>();
            string? stopped = null;
            for (var i = 0; i < request.Checks.Count; i++)
            {
                var check = request.Checks[i];
                if (stopped is not null)
                {
                    results.Add(Result(check, 0, CheckOutcome.NotRun, null, "", 0));
                    continue;
                }
                var (result, stopReason) = RunCheck(console, check, i + 1, Left(), request.CheckOutputChars, cancellationToken);
                results.Add(result);
                stopped = stopReason;
            }
            var passed = results.Count(r => r.Outcome == CheckOutcome.Passed);
            var summary = stopped ?? $"{passed} of {results.Count} checks passed.";
            if (started.SnapshotProblem is not null)
                summary += $" (The lab image's snapshot could not be used: {started.SnapshotProblem} It booted instead.)";
            return new CheckRunOutcome(results, stopped is not null && !stopped.StartsWith("The machine stopped", StringComparison.Ordinal),
                started.FromSnapshot, summary, console.Log, started.NewSnapshot);
        }
        finally
        {
            console.Machine.Dispose();
        }
    }

    private static void Place(GuestConsole console, CheckRunRequest request, CancellationToken cancellationToken)
    {
        var bundle = SubmissionBundle.Build(request.Files, request.Checks.Select(c => c.Command).ToList());
        console.Forget();
        // Echo off while the data is typed, so the log does not hold it twice.
        console.Type("stty -echo; rm -rf /tmp/autograde; mkdir -p /tmp/autograde && echo :R$((1000+1)): && base64 -d | tar -xzf - -C /tmp/autograde && cp -a /tmp/autograde/files/. /root/; echo :P$((1000+1)):$?:; stty echo\n");
        if (!Wait(console, s => s.Contains(":R1001:", StringComparison.Ordinal), PlaceLimit, cancellationToken))
            throw new AutogradeInfrastructureException("The lab machine's shell did not answer before the submission was placed.");
        foreach (var line in SubmissionBundle.Base64Lines(bundle))
            console.Type(line + "\n");
        console.Type("\u0004");
        if (!Wait(console, s => PlacedMarker().IsMatch(s), PlaceLimit, cancellationToken))
            throw new AutogradeInfrastructureException("The submission's files could not be placed in the lab machine in time.");
        var status = PlacedMarker().Match(console.Screen).Groups[1].Value;
        if (status != "0")
            throw new AutogradeInfrastructureException($"Placing the submission's files in the lab machine failed (status {status}): {Tail(console.Screen, 500)}");
    }

    private static (CheckResult Result, string? StopReason) RunCheck(GuestConsole console, AutograderCheck check, int index, TimeSpan runLeft,
        int outputChars, CancellationToken cancellationToken)
    {
        var n = 2000 + index;
        var checkLimit = TimeSpan.FromSeconds(Math.Max(1, check.TimeoutSeconds));
        var limit = checkLimit < runLeft ? checkLimit : runLeft;
        var limitIsRun = runLeft <= checkLimit;
        var begin = $":B{n}:";
        var end = new Regex($@":E{n}:(\d+):", RegexOptions.CultureInvariant);
        console.Forget();
        var watch = Stopwatch.StartNew();
        // stdin from /dev/null: a check that reads input fails at once instead of waiting for its time limit.
        console.Type($"cd /root; echo :B$(({n}+0)):; sh /tmp/autograde/checks/{index}.sh </dev/null; echo :E$(({n}+0)):$?:\n");
        bool finished;
        try
        {
            finished = limit > TimeSpan.Zero && Wait(console, s => end.IsMatch(s), limit, cancellationToken);
        }
        catch (MachineStoppedException e)
        {
            var output = Output(console.Screen, begin, null, outputChars);
            return (Result(check, 0, CheckOutcome.Failed, null, output, watch.Elapsed.TotalSeconds), $"The machine stopped during '{check.Name}': {e.Message}");
        }
        if (finished)
        {
            var screen = console.Screen;
            var match = end.Match(screen);
            var exit = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var output = Output(screen, begin, match.Index, outputChars);
            var (points, outcome) = CheckScoring.Score(check.Points, exit, output);
            return (Result(check, points, outcome, exit, output, watch.Elapsed.TotalSeconds), null);
        }

        // Over the limit: interrupt the check like a person would (Ctrl-C). An interactive shell drops
        // the rest of an interrupted command line, so the end marker is asked for again; it appears
        // only if the shell is back, i.e. the check really stopped.
        var seconds = watch.Elapsed.TotalSeconds;
        var note = limitIsRun
            ? $"[stopped: the run reached its time limit during this check]"
            : $"[stopped: over its time limit of {checkLimit.TotalSeconds:0} s]";
        if (!limitIsRun)
        {
            console.Type("\u0003");
            console.Type($"echo :E$(({n}+0)):130:\n");
            bool back;
            try
            {
                back = Wait(console, s => end.IsMatch(s), InterruptGrace, cancellationToken);
            }
            catch (MachineStoppedException)
            {
                back = false;
            }
            if (back)
            {
                var screen = console.Screen;
                var output = Output(screen, begin, end.Match(screen).Index, outputChars) + "\n" + note;
                return (Result(check, 0, CheckOutcome.TimedOut, null, output.TrimStart('\n'), seconds), null);
            }
        }
        var hung = Output(console.Screen, begin, null, outputChars) + "\n" + note;
        var reason = limitIsRun
            ? $"Stopped: the machine was still busy with '{check.Name}' when the run reached its time limit."
            : $"Stopped: '{check.Name}' ran past its time limit of {checkLimit.TotalSeconds:0} s and the machine did not respond to an interrupt.";
        return (Result(check, 0, CheckOutcome.TimedOut, null, hung.TrimStart('\n'), seconds), reason);
    }

    private static bool Wait(GuestConsole console, Func<string, bool> found, TimeSpan limit, CancellationToken cancellationToken) =>
        console.RunUntil(found, limit, cancellationToken);

    /// <summary>The text between the begin marker's line and the end marker, without carriage returns, tail kept.</summary>
    private static string Output(string screen, string begin, int? endIndex, int maxChars)
    {
        var b = screen.IndexOf(begin, StringComparison.Ordinal);
        if (b < 0)
            return "";
        var from = screen.IndexOf('\n', b);
        if (from < 0)
            return "";
        var to = endIndex ?? screen.Length;
        if (to <= from)
            return "";
        var text = screen[(from + 1)..to].Replace("\r", "", StringComparison.Ordinal);
        return text.Length > maxChars ? "…" + text[^maxChars..] : text;
    }

    private static CheckResult Result(AutograderCheck check, decimal points, CheckOutcome outcome, int? exit, string output, double seconds) => new()
    {
        Name = check.Name,
        Points = points,
        MaxPoints = check.Points,
        Outcome = outcome,
        ExitCode = exit,
        Output = output,
        VisibleToStudents = check.VisibleToStudents,
        Seconds = Math.Round(seconds, 2),
    };

    private static string Tail(string text, int chars) => text.Length > chars ? text[^chars..] : text;

    [GeneratedRegex(@":P1001:(\d+):", RegexOptions.CultureInvariant)]
    private static partial Regex PlacedMarker();
}
