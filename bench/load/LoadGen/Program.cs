// bench/run.sh load: drives a running portal (and a reference server) with a class of students.
// Prints progress on stderr and one "BENCH name=... ours=... ref=... refname=... ratio=... unit=..."
// line per figure on stdout. Arguments come from bench/load/run.sh.
using System.Globalization;
using LoadGen;

var options = Options.Parse(args);
var portal = new Uri(options.Get("portal"));
var reference = new Uri(options.Get("reference"));
var sizes = options.Get("sizes").Split(',').Select(int.Parse).ToArray();
var think = options.Number("think");
var duration = options.Number("duration");
var submitters = (int)options.Number("submitters");
var boots = (int)options.Number("boots");
var runId = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);

using var ours = Client(portal);
using var theirs = Client(reference);

// ---- The class --------------------------------------------------------------------------------
// Each sign-in costs a password hash (~100k PBKDF2 rounds): the submitters sign in for real, one
// session each; larger page-load classes reuse those sessions round-robin (a page costs the same
// for any student of the course).
var roster = new ClassRoster(options.Get("database"), portal, options.Get("password"));
await roster.CreateAsync(submitters);
Console.Error.WriteLine($"load: {submitters} students enrolled; signing them in");
var signIn = System.Diagnostics.Stopwatch.StartNew();
await roster.SignInAllAsync(submitters, parallel: Environment.ProcessorCount * 2);
Console.Error.WriteLine($"load: signed in {submitters} in {signIn.Elapsed.TotalSeconds:0.0} s");
var page = $"t/demo/assignments/{roster.AssignmentId}";
// The reference serves this very page's HTML as a static file: what any server needs to answer it without rendering.
using (var request = new HttpRequestMessage(HttpMethod.Get, page))
{
    request.Headers.Add("Cookie", roster.Cookies[0]);
    using var response = await ours.SendAsync(request);
    await File.WriteAllBytesAsync(Path.Combine(options.Get("static-root"), "page.html"), await response.Content.ReadAsByteArrayAsync());
}

// ---- Pages: step the class size until p99 passes 200 ms -----------------------------------------
Console.Error.WriteLine($"load: pages: each student opens the assignment page every {think} s on average, {duration} s per step; reference: nginx serving the same page's HTML as a static file");
// Warm-up, untimed: the portal's first requests compile and fill pools; a class meets a warm server.
await PageLoad.RunAsync(ours, page, roster.Cookies, 100, think, 3);
await PageLoad.RunAsync(theirs, "page.html", roster.Cookies, 100, think, 3);
int? largestOurs = null, largestRef = null;
var results = new Dictionary<int, (PageLoad.Result Ours, PageLoad.Result Ref)>();
foreach (var size in sizes)
{
    var o = await PageLoad.RunAsync(ours, page, roster.Cookies, size, think, duration);
    var r = await PageLoad.RunAsync(theirs, "page.html", roster.Cookies, size, think, duration);
    results[size] = (o, r);
    Console.Error.WriteLine($"load: class {size,5}: {o.OfferedPerSecond,6:0.0} req/s offered | portal {o.AnsweredPerSecond,6:0.0} req/s p50 {Latencies.F(o.Latencies.Percentile(50))} ms p99 {Latencies.F(o.Latencies.Percentile(99))} ms errors {o.Latencies.Errors} | nginx p50 {Latencies.F(r.Latencies.Percentile(50))} p99 {Latencies.F(r.Latencies.Percentile(99))} ms");
    if (o.Latencies.Percentile(99) < 200 && o.Latencies.Errors == 0)
        largestOurs = size;
    if (r.Latencies.Percentile(99) < 200 && r.Latencies.Errors == 0)
        largestRef = size;
    if (largestOurs != size)
        break; // past the limit: larger classes only take longer to fail
}
var atGoal = results.TryGetValue(500, out var g) ? g : results.OrderBy(kv => Math.Abs(kv.Key - 500)).First().Value;
var goalSize = atGoal.Ours.ClassSize;
Bench($"page-p50-class-{goalSize}", atGoal.Ours.Latencies.Percentile(50), atGoal.Ref.Latencies.Percentile(50), "nginx-static-copy", "ms");
Bench($"page-p99-class-{goalSize}", atGoal.Ours.Latencies.Percentile(99), atGoal.Ref.Latencies.Percentile(99), "nginx-static-copy", "ms");
Bench($"page-rps-class-{goalSize}", atGoal.Ours.AnsweredPerSecond, atGoal.Ref.AnsweredPerSecond, "nginx-static-copy", "req/s");
Bench("class-size-p99-200ms", largestOurs ?? 0, largestRef ?? 0, "nginx-static-copy(largest-step-tried=" + sizes.Max() + ")", "students");

// ---- Submissions: the whole class hands in 1 MiB at once ----------------------------------------
var class500 = roster.Cookies.Take(submitters).ToList();
Console.Error.WriteLine($"load: submissions: {submitters} students hand in 1 MiB at once through the hub; reference: the same through the upload form");
var hub = await SubmissionLoad.HubAsync(portal, roster.AssignmentId, class500, runId);
var form = await SubmissionLoad.FormAsync(ours, roster.AssignmentId, class500, runId);
Console.Error.WriteLine($"load: hub {hub.Seconds:0.00} s for {hub.Latencies.Count} ({hub.Drops} dropped connections resumed, {hub.Latencies.Errors} given up); form {form.Seconds:0.00} s for {form.Latencies.Count} ({form.Latencies.Errors} errors)");
Bench($"hub-submit-1mib-x{submitters}-per-second", hub.PerSecond, form.PerSecond, "upload-form-same-run", "submissions/s");
Bench($"hub-submit-1mib-x{submitters}-p50", hub.Latencies.Percentile(50), form.Latencies.Percentile(50), "upload-form-same-run", "ms");
Bench($"hub-submit-1mib-x{submitters}-p99", hub.Latencies.Percentile(99), form.Latencies.Percentile(99), "upload-form-same-run", "ms");
Bench($"hub-submit-1mib-x{submitters}-dropped", hub.Drops, form.Latencies.Errors, "upload-form-errors", "connections");

// ---- Chunks: many lab machines booting at once --------------------------------------------------
var hashes = File.ReadAllLines(options.Get("hashes")).Where(h => h.Length == 64).ToList();
var perBoot = (int)options.Number("chunks-per-boot");
Console.Error.WriteLine($"load: chunks: {boots} boots at once, {perBoot} chunks of 128 KiB each; reference: nginx serving the same chunk files");
await ChunkLoad.RunAsync(ours, hashes, 4, 16); // warm-up of both, untimed
await ChunkLoad.RunAsync(theirs, hashes, 4, 16);
var chunksOurs = await ChunkLoad.RunAsync(ours, hashes, boots, perBoot);
var chunksRef = await ChunkLoad.RunAsync(theirs, hashes, boots, perBoot);
Bench($"chunk-throughput-{boots}-boots", chunksOurs.MegabytesPerSecond, chunksRef.MegabytesPerSecond, "nginx", "MB/s");
Bench($"chunk-p50-{boots}-boots", chunksOurs.Latencies.Percentile(50), chunksRef.Latencies.Percentile(50), "nginx", "ms");
Bench($"chunk-p99-{boots}-boots", chunksOurs.Latencies.Percentile(99), chunksRef.Latencies.Percentile(99), "nginx", "ms");
return;

static HttpClient Client(Uri address) =>
    new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };

static void Bench(string name, double ours, double reference, string refName, string unit)
{
    var ratio = reference > 0 && double.IsFinite(reference) && double.IsFinite(ours) ? (ours / reference).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
    Console.WriteLine($"BENCH name={name} ours={Latencies.F(ours)} ref={Latencies.F(reference)} refname={refName} ratio={ratio} unit={unit}");
}

/// <summary>"--name value" pairs.</summary>
internal sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(string[] args) =>
        new(Enumerable.Range(0, args.Length / 2).ToDictionary(i => args[2 * i].TrimStart('-'), i => args[2 * i + 1]));

    public string Get(string name) => values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is missing");

    public double Number(string name) => double.Parse(Get(name), CultureInfo.InvariantCulture);
}
