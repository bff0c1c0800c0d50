// Autograde runs per minute with the portal's own run code: the demo assignment 01-files-and-folders'
// checks on a correct submission, in the busybox-shell lab machine, either booting each run or
// resuming each from a post-boot snapshot (taken once, before timing starts).
//   dotnet AutogradeBench.dll --kernel K --initrd I --runs N --parallel P (--boot | --snapshot)
// Prints one line: "runs=N parallel=P seconds=S runs_per_minute=R score=X/Y".
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CoursePackages.Packaging;
using Platform.Data.Entities;
using Platform.Web.Features.Autograding;
using Platform.Web.Features.LabImages;

var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.a[2..], p => p.i + 1 < args.Length && !args[p.i + 1].StartsWith("--", StringComparison.Ordinal) ? args[p.i + 1] : "");
string Need(string name) => options.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"--{name} is required");
var runs = int.Parse(options.GetValueOrDefault("runs", "3"), CultureInfo.InvariantCulture);
var parallel = int.Parse(options.GetValueOrDefault("parallel", "1"), CultureInfo.InvariantCulture);
var useSnapshot = options.ContainsKey("snapshot");
var cmdline = options.GetValueOrDefault("append", "console=ttyS0 quiet cryptomgr.notests noisapnp");
var kernel = File.ReadAllBytes(Need("kernel"));
var initrd = File.ReadAllBytes(Need("initrd"));
var spec = new LabMachineSpec(Need("kernel"), Need("initrd"), cmdline, 128, null);

var package = CoursePackageReader.ReadFolder(BundledCourses.FolderOf(BundledCourses.IntroToLinux));
var checks = package.Assignments.Single(a => a.Slug == "01-files-and-folders").Checks
    .Select(c => new AutograderCheck { Name = c.Name, Command = c.Command, Points = c.Points, TimeoutSeconds = c.TimeoutSeconds, VisibleToStudents = c.Visible })
    .ToList();
SubmissionBundle.File[] files =
[
    new("project/notes/todo.txt", Encoding.UTF8.GetBytes("buy milk\nwrite report\ncall Ada\n")),
    new("project/backup/todo.txt", Encoding.UTF8.GetBytes("buy milk\nwrite report\ncall Ada\n")),
];

byte[]? snapshot = null;
if (useSnapshot)
{
    Console.Error.WriteLine("[autograde-bench] booting once for the post-boot snapshot");
    var started = LabBoot.Start(spec, kernel, initrd, null, true, TimeSpan.FromMinutes(15), 4096, CancellationToken.None);
    started.Console.Machine.Dispose();
    snapshot = started.NewSnapshot;
    Console.Error.WriteLine($"[autograde-bench] snapshot: {snapshot!.Length / 1024} KiB");
}

var clock = Stopwatch.StartNew();
var scores = new decimal[runs];
var next = -1;
var workers = Enumerable.Range(0, Math.Max(1, parallel)).Select(_ => Task.Factory.StartNew(() =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < runs)
    {
        var run = Stopwatch.StartNew();
        var outcome = CheckRunner.Run(new CheckRunRequest(spec, kernel, initrd, files, checks, snapshot, false,
            TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15)), CancellationToken.None);
        scores[i] = outcome.Results.Sum(r => r.Points);
        Console.Error.WriteLine($"[autograde-bench] run {i + 1}/{runs}: {run.Elapsed.TotalSeconds:0.0} s, {scores[i]}/{checks.Sum(c => c.Points)} ({outcome.Summary})");
    }
}, TaskCreationOptions.LongRunning)).ToArray();
Task.WaitAll(workers);
var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"runs={runs} parallel={parallel} seconds={seconds:0.00} runs_per_minute={runs * 60 / seconds:0.00} score={scores.Min()}/{checks.Sum(c => c.Points)}"));
return scores.All(s => s == checks.Sum(c => c.Points)) ? 0 : 1;
