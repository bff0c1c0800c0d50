using Vm.Engine.Disk;
using Vm.ImageBuilder;

// vm-image-builder: makes chunked disk images into a store folder and prints the manifest hash.
const string Usage = """
    usage: Vm.ImageBuilder COMMAND [options]
      from-raw IMAGE                  chunk a raw (or ext4) disk image
      from-folder DIR --size 512M     make an ext4 image of DIR (mke2fs -d), then chunk it
      from-recipe RECIPE.yaml         debootstrap (i386, minbase + the recipe's packages), mke2fs, chunk
    options:
      --store DIR       image store (default ${WEBVM_CACHE:-$HOME/.cache/webvm}/images)
      --base MANIFEST   build a layer on this image (manifest hash in the store, or a manifest file)
      --mirror URL      Debian mirror for from-recipe (default http://deb.debian.org/debian)
      --verbose         show the tools' output
    The manifest hash is printed on stdout; progress goes to stderr.
    """;

if (args.Length < 2 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine(Usage);
    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 2;
}

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var cache = Environment.GetEnvironmentVariable("WEBVM_CACHE") is { Length: > 0 } c
    ? c
    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "webvm");
var store = new ImageStore(Option("--store") ?? Path.Combine(cache, "images"));
var options = new BuildOptions { BaseManifest = Option("--base"), Mirror = Option("--mirror") ?? new BuildOptions().Mirror };
var builder = new ImageBuilder(store, new ConsoleReporter(Console.Error, args.Contains("--verbose")));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

try
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var result = args[0] switch
    {
        "from-raw" => await builder.FromRawAsync(args[1], options, cancel.Token),
        "from-folder" => await builder.FromFolderAsync(args[1], ImageBuilder.ParseSize(Option("--size") ?? throw new ImageBuildException("from-folder needs --size (e.g. 512M).")), options, cancel.Token),
        "from-recipe" => await builder.FromRecipeAsync(Recipe.ReadFile(args[1]), options, cancel.Token),
        _ => throw new ImageBuildException($"Unknown command '{args[0]}'.\n{Usage}"),
    };
    Console.Error.WriteLine($"{result.Manifest.Size >> 20} MiB image, {result.Manifest.ChunkCount} chunks: {result.StoredChunks} new " +
                            $"({result.StoredBytes >> 20} MiB), {result.DedupedChunks} already stored, {result.SameAsBaseChunks} as in the base, " +
                            $"{result.ZeroChunks} zero; {watch.Elapsed.TotalSeconds:0.0} s; store {store.Root}");
    Console.WriteLine(result.ManifestHash);
    return 0;
}
catch (ImageBuildException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled; nothing was published");
    return 130;
}
