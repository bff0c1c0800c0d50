using Platform.Data.Entities;
using Platform.Web.Features.Autograding;

namespace Platform.Web.Tests.Features.Autograding;

/// <summary>Runs of the demo assignment's checks in the real lab machine, resumed from its post-boot snapshot.</summary>
public sealed class CheckRunnerTests
{
    [Fact]
    public void Run_CorrectFilesAndFolders_EarnsEveryPoint()
    {
        var outcome = CheckRunner.Run(DemoLab.Request(DemoLab.CorrectFilesAndFolders(), DemoLab.FilesAndFoldersChecks()), CancellationToken.None);

        Assert.True(outcome.UsedSnapshot);
        Assert.False(outcome.StoppedAtLimit);
        Assert.All(outcome.Results, r => Assert.Equal(CheckOutcome.Passed, r.Outcome));
        Assert.Equal(10m, outcome.Results.Sum(r => r.Points));
        Assert.Equal("3 of 3 checks passed.", outcome.Summary);
        Assert.Contains("/tmp/autograde/checks/3.sh", outcome.ConsoleLog);
    }

    [Fact]
    public void Run_IncorrectFilesAndFolders_EarnsOnlyTheFolderCheck()
    {
        var outcome = CheckRunner.Run(DemoLab.Request(DemoLab.IncorrectFilesAndFolders(), DemoLab.FilesAndFoldersChecks()), CancellationToken.None);

        Assert.Equal([CheckOutcome.Passed, CheckOutcome.Failed, CheckOutcome.Failed], outcome.Results.Select(r => r.Outcome));
        Assert.Equal(3m, outcome.Results.Sum(r => r.Points));
        // cmp says where the files differ: the output a grader reads.
        Assert.Contains("EOF on /root/project/backup/todo.txt", outcome.Results[2].Output);
        Assert.False(outcome.Results[2].VisibleToStudents);
    }

    [Fact]
    public void Run_PartialCreditLineAndOutput_ScoresByTheConvention()
    {
        AutograderCheck[] checks =
        [
            new() { Name = "three of four tests", Command = "echo running; echo 'POINTS 3/4'; exit 1", Points = 8 },
            new() { Name = "reads the file", Command = "cat ~/data.txt; wc -l < ~/data.txt", Points = 2 },
        ];
        var outcome = CheckRunner.Run(DemoLab.Request([DemoLab.File("data.txt", "alpha\nbeta\n")], checks), CancellationToken.None);

        Assert.Equal(CheckOutcome.Partial, outcome.Results[0].Outcome);
        Assert.Equal(6m, outcome.Results[0].Points);
        Assert.Equal(1, outcome.Results[0].ExitCode);
        Assert.Equal("running\nPOINTS 3/4\n", outcome.Results[0].Output);
        Assert.Equal("alpha\nbeta\n2\n", outcome.Results[1].Output);
        Assert.Equal(2m, outcome.Results[1].Points);
    }

    [Fact]
    public void Run_CheckThatLoops_IsInterruptedAtItsLimitAndTheNextCheckStillRuns()
    {
        AutograderCheck[] checks =
        [
            new() { Name = "loops forever", Command = "sh ~/loop.sh", Points = 5, TimeoutSeconds = 3 },
            new() { Name = "still answers", Command = "echo alive", Points = 1 },
        ];
        var outcome = CheckRunner.Run(DemoLab.Request([DemoLab.File("loop.sh", "while :; do :; done\n")], checks), CancellationToken.None);

        Assert.Equal(CheckOutcome.TimedOut, outcome.Results[0].Outcome);
        Assert.Equal(0m, outcome.Results[0].Points);
        Assert.Contains("over its time limit of 3 s", outcome.Results[0].Output);
        Assert.True(CheckOutcome.Passed == outcome.Results[1].Outcome, outcome.ConsoleLog);
        Assert.False(outcome.StoppedAtLimit);
    }

    [Fact]
    public void Run_MachineThatIgnoresInterrupts_IsStoppedAndReported()
    {
        AutograderCheck[] checks =
        [
            new() { Name = "hangs the machine", Command = "trap '' INT; sh ~/loop.sh", Points = 5, TimeoutSeconds = 3 },
            new() { Name = "never reached", Command = "true", Points = 5 },
        ];
        var outcome = CheckRunner.Run(DemoLab.Request([DemoLab.File("loop.sh", "trap '' INT\nwhile :; do :; done\n")], checks), CancellationToken.None);

        Assert.True(outcome.StoppedAtLimit);
        Assert.Equal([CheckOutcome.TimedOut, CheckOutcome.NotRun], outcome.Results.Select(r => r.Outcome));
        Assert.Equal(0m, outcome.Results.Sum(r => r.Points));
        Assert.Contains("did not respond to an interrupt", outcome.Summary);
    }
}
