using System.Text.RegularExpressions;
using CoursePackages.Packaging;
using Vm.Engine.Disk;

namespace Vm.ImageBuilder;

public sealed record BuildOptions
{
    /// <summary>The manifest hash (or file) of the image this one is a layer on: only chunks that differ are stored.</summary>
    public string? BaseManifest { get; init; }
    /// <summary>The Debian mirror debootstrap downloads from.</summary>
    public string Mirror { get; init; } = "http://deb.debian.org/debian";
    /// <summary>Folder for the build's scratch files (root tree, raw image); the store's own <c>.build</c> folder when null.</summary>
    public string? ScratchFolder { get; init; }
}

/// <summary>
/// Makes images into a store: from a raw (or ext4) image, from a folder (mke2fs -d) or from a recipe
/// (debootstrap, then mke2fs, then chunks). Scratch files are removed at the end, success or not; the
/// manifest, written last, is the only thing that publishes an image, so a failed build publishes nothing.
/// </summary>
public sealed partial class ImageBuilder(ImageStore store, IBuildReporter reporter, IProcessRunner? processes = null)
{
    private readonly IProcessRunner processes = processes ?? new SystemProcessRunner();

    public ImageStore Store => store;

    public Task<ImageWriteResult> FromRawAsync(string rawImage, BuildOptions options, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(rawImage))
            throw new ImageBuildException($"There is no image file '{rawImage}'.");
        reporter.Stage("Chunking");
        return Task.Run(() => Chunk(rawImage, options, 0, 1, cancellationToken), cancellationToken);
    }

    public async Task<ImageWriteResult> FromFolderAsync(string folder, long sizeBytes, BuildOptions options, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
            throw new ImageBuildException($"There is no folder '{folder}'.");
        var scratch = NewScratch(options);
        try
        {
            var raw = Path.Combine(scratch, "disk.img");
            await MakeExt4Async(folder, raw, sizeBytes, cancellationToken);
            reporter.Progress(0.2);
            reporter.Stage("Chunking");
            return await Task.Run(() => Chunk(raw, options, 0.2, 1, cancellationToken), cancellationToken);
        }
        finally
        {
            await RemoveScratchAsync(scratch);
        }
    }

    public async Task<ImageWriteResult> FromRecipeAsync(LabImageRecipe recipe, BuildOptions options, CancellationToken cancellationToken = default)
    {
        var suite = DebianSuite(recipe.Base);
        foreach (var package in recipe.Packages)
        {
            if (!PackageName().IsMatch(package))
                throw new ImageBuildException($"'{package}' is not a Debian package name.");
        }
        var scratch = NewScratch(options);
        try
        {
            var root = Path.Combine(scratch, "root");
            Directory.CreateDirectory(root);
            reporter.Stage($"debootstrap {suite} (i386, minbase{(recipe.Packages.Count > 0 ? " + " + string.Join(' ', recipe.Packages) : "")})");
            List<string> arguments = ["--arch=i386", "--variant=minbase"];
            if (recipe.Packages.Count > 0)
                arguments.Add("--include=" + string.Join(',', recipe.Packages));
            arguments.AddRange([suite, root, options.Mirror]);
            var tail = new Queue<string>();
            var exit = await processes.RunAsync("debootstrap", arguments, line =>
            {
                reporter.Log(line);
                Remember(tail, line);
                if (DebootstrapStage(line) is { } stage)
                {
                    reporter.Stage(stage.Name);
                    reporter.Progress(stage.Fraction);
                }
            }, cancellationToken);
            if (exit != 0)
                throw new ImageBuildException($"debootstrap failed (exit {exit}): {Explain(tail)}");

            // The package caches are not part of a lab: apt fetches again if a student installs.
            DeleteContents(Path.Combine(root, "var", "cache", "apt", "archives"), "*.deb");
            DeleteContents(Path.Combine(root, "var", "lib", "apt", "lists"), "*_*");

            var raw = Path.Combine(scratch, "disk.img");
            await MakeExt4Async(root, raw, SizeFor(root), cancellationToken);
            reporter.Progress(0.8);
            reporter.Stage("Chunking");
            return await Task.Run(() => Chunk(raw, options, 0.8, 1, cancellationToken), cancellationToken);
        }
        finally
        {
            await RemoveScratchAsync(scratch);
        }
    }

    /// <summary>"debian/bookworm-i386-minbase" → "bookworm". Other bases (busybox roots, images) are not built here yet.</summary>
    public static string DebianSuite(string recipeBase)
    {
        var match = DebianBase().Match(recipeBase);
        if (!match.Success && recipeBase.EndsWith("-busybox", StringComparison.Ordinal))
            throw new ImageBuildException($"The base '{recipeBase}' boots from the initramfs the engine's guest scripts assemble; it has no disk image to build.");
        if (!match.Success)
            throw new ImageBuildException($"The base '{recipeBase}' cannot be built from a recipe yet; use debian/SUITE-i386-minbase.");
        return match.Groups[1].Value;
    }

    /// <summary>Parses sizes like 512M, 2G, 1048576 (bytes).</summary>
    public static long ParseSize(string text)
    {
        var match = SizeText().Match(text.Trim());
        if (!match.Success)
            throw new ImageBuildException($"'{text}' is not a size (e.g. 512M, 2G).");
        var value = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return match.Groups[2].Value.ToUpperInvariant() switch
        {
            "K" => value << 10,
            "M" => value << 20,
            "G" => value << 30,
            _ => value,
        };
    }

    private async Task MakeExt4Async(string folder, string raw, long sizeBytes, CancellationToken cancellationToken)
    {
        if (sizeBytes < 4 << 20)
            throw new ImageBuildException("An ext4 image needs at least 4 MiB.");
        reporter.Stage($"mke2fs -t ext4 ({sizeBytes >> 20} MiB)");
        var tail = new Queue<string>();
        // As reproducible as mke2fs allows: a fixed UUID, directory hash seed and clock. Files keep their
        // own access and change times, so a rebuild of the same tree differs only in its inode tables.
        // Inode tables and journal are zeroed here, not lazily by the guest: otherwise every student's
        // first boot has the kernel's ext4lazyinit write them into the overlay (13 MB for debian-dev);
        // zeroed here they are zero chunks, which cost nothing to store or fetch.
        var exit = await processes.RunAsync("mke2fs",
            ["-q", "-F", "-t", "ext4", "-L", "webvm-root", "-U", FileSystemUuid,
             "-E", $"hash_seed={HashSeed},lazy_itable_init=0,lazy_journal_init=0", "-d", folder, raw, $"{sizeBytes / 1024}k"],
            line => { reporter.Log(line); Remember(tail, line); }, cancellationToken,
            new Dictionary<string, string> { ["E2FSPROGS_FAKE_TIME"] = FileSystemTime });
        if (exit != 0)
            throw new ImageBuildException($"mke2fs failed (exit {exit}): {Explain(tail)}");
    }

    private const string FileSystemUuid = "6e766d77-6562-4d76-8000-000000000001";
    private const string HashSeed = "6e766d77-6562-4d76-8000-000000000002";
    private const string FileSystemTime = "1704067200"; // 2024-01-01T00:00:00Z

    private ImageWriteResult Chunk(string raw, BuildOptions options, double from, double to, CancellationToken cancellationToken)
    {
        var progress = new DirectProgress(f => reporter.Progress(from + (to - from) * f));
        var result = new ImageWriter(store).WriteFile(raw, options.BaseManifest is { } b ? ResolveBase(b) : null, progress, cancellationToken);
        reporter.Log($"{result.Manifest.ChunkCount} chunks: {result.StoredChunks} stored, {result.DedupedChunks} already stored, " +
                     $"{result.SameAsBaseChunks} as in the base, {result.ZeroChunks} zero");
        reporter.Stage("Published");
        return result;
    }

    private string ResolveBase(string hashOrPath)
    {
        try
        {
            store.ResolveManifest(hashOrPath, out var hash);
            if (!store.HasManifest(hash))
                throw new ImageBuildException($"The base image {hash} is not in the store {store.Root}: build or copy it there first.");
            return hash;
        }
        catch (FileNotFoundException e)
        {
            throw new ImageBuildException(e.Message, e);
        }
    }

    /// <summary>The root's size plus room for ext4's metadata and the student's work: ×1.3 + 128 MiB, in whole MiB.</summary>
    private static long SizeFor(string root)
    {
        long bytes = 0, entries = 0;
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            entries++;
            if (entry is FileInfo file && !file.Attributes.HasFlag(FileAttributes.ReparsePoint))
                bytes += (file.Length + 4095) / 4096 * 4096;
        }
        var size = (long)(bytes * 1.3) + entries * 256 + (128L << 20);
        return (size + (1 << 20) - 1) >> 20 << 20;
    }

    private string NewScratch(BuildOptions options)
    {
        var folder = Path.Combine(options.ScratchFolder ?? Path.Combine(store.Root, ".build"), Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>
    /// Unmounts anything a failed debootstrap left mounted below the scratch folder (proc, sys, bind-mounted
    /// devices), deepest first, and then removes it without crossing into another file system.
    /// </summary>
    private async Task RemoveScratchAsync(string scratch)
    {
        try
        {
            if (File.Exists("/proc/self/mounts"))
            {
                var prefix = Path.GetFullPath(scratch) + "/";
                var mounts = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')).Where(p => p.Length > 1)
                    .Select(p => p[1].Replace("\\040", " ")).Where(m => m.StartsWith(prefix, StringComparison.Ordinal))
                    .OrderByDescending(m => m.Length).ToList();
                foreach (var mount in mounts)
                    await processes.RunAsync("umount", ["-l", mount], reporter.Log, CancellationToken.None);
            }
            if (Directory.Exists(scratch))
                await processes.RunAsync("rm", ["-rf", "--one-file-system", scratch], reporter.Log, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageBuildException)
        {
            reporter.Log($"Could not remove the scratch folder {scratch}: {e.Message}");
        }
    }

    private static void DeleteContents(string folder, string pattern)
    {
        if (!Directory.Exists(folder))
            return;
        foreach (var file in Directory.EnumerateFiles(folder, pattern))
            File.Delete(file);
    }

    private static void Remember(Queue<string> tail, string line)
    {
        tail.Enqueue(line);
        while (tail.Count > 8)
            tail.Dequeue();
    }

    /// <summary>The lines that say why: errors first (debootstrap's "E:" lines), else the last few lines.</summary>
    private static string Explain(IEnumerable<string> tail)
    {
        var lines = tail.ToList();
        var errors = lines.Where(l => l.StartsWith("E:", StringComparison.Ordinal)).ToList();
        return string.Join(" / ", errors.Count > 0 ? errors : lines.TakeLast(3));
    }

    /// <summary>debootstrap's "I: …" lines mapped to a stage and where the build stands (debootstrap is 0–70%).</summary>
    internal static (string Name, double Fraction)? DebootstrapStage(string line)
    {
        if (!line.StartsWith("I: ", StringComparison.Ordinal))
            return null;
        var text = line[3..];
        return text switch
        {
            _ when text.StartsWith("Retrieving InRelease", StringComparison.Ordinal) => ("Fetching the package index", 0.02),
            _ when text.StartsWith("Resolving dependencies", StringComparison.Ordinal) => ("Resolving dependencies", 0.05),
            _ when text.StartsWith("Retrieving ", StringComparison.Ordinal) => ("Downloading packages", 0.10),
            _ when text.StartsWith("Validating ", StringComparison.Ordinal) => ("Validating packages", 0.35),
            _ when text.StartsWith("Extracting ", StringComparison.Ordinal) => ("Extracting packages", 0.40),
            _ when text.StartsWith("Installing core packages", StringComparison.Ordinal) => ("Installing core packages", 0.45),
            _ when text.StartsWith("Unpacking", StringComparison.Ordinal) => ("Unpacking packages", 0.50),
            _ when text.StartsWith("Configuring", StringComparison.Ordinal) => ("Configuring packages", 0.60),
            _ when text.StartsWith("Base system installed", StringComparison.Ordinal) => ("Root file system ready", 0.70),
            _ => null,
        };
    }

    [GeneratedRegex("^debian/([a-z]+)-i386-minbase$")]
    private static partial Regex DebianBase();

    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial Regex PackageName();

    [GeneratedRegex("^([0-9]+)([KMGkmg]?)$")]
    private static partial Regex SizeText();

    private sealed class DirectProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
