using Vm.Engine.Disk;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.Disk;

/// <summary>
/// The whole disk path with the real kernel: Debian's i386 root streamed over HTTP from an image
/// store, through a chunk cache, with every write in a copy-on-write overlay file.
/// </summary>
public sealed class StreamedRootBootTests : IDisposable
{
    private const string Cmdline = "console=ttyS0 quiet cryptomgr.notests noisapnp root=/dev/vda";
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(8);
    private const string TerminalSizePort = "org.webvm.tty-size";
    private readonly string _scratch = DiskTestData.TempFolder();

    [Fact]
    public async Task Boot_DebianRootStreamedOverHttp_GccBuildsAndRuns_FilesSurviveAReboot()
    {
        var store = DebianRoot.Store;
        string hash = DebianRoot.ManifestHash;
        var manifest = store.GetManifest(hash)!;
        using var server = new ChunkHttpServer(store);
        using var http = new HttpClient();
        string overlay = Path.Combine(_scratch, "overlay"), cache = Path.Combine(_scratch, "cache");
        long stored = manifest.Chunks.Count(c => c != null) * (long)manifest.ChunkSize;

        // First boot: log in, compile and run a C program, leave a file, shut down.
        await using (var disk = Open(manifest, http, server, cache, overlay))
        {
            using var g = new GuestSession(Cmdline, 256u << 20, c => c with { Disk = disk.Source, ConsolePortNames = [TerminalSizePort] });
            var terminalSize = g.Machine.VirtioConsole.Port(TerminalSizePort)!;
            terminalSize.HostOpen = true;
            g.WaitFor(GuestSession.Marker, BootTimeout);
            g.WaitFor("# ", TimeSpan.FromSeconds(120));
            Assert.Equal("root", g.Run("whoami").Trim());
            // The browser's terminal size reaches the Debian shell's tty, as on the initramfs's shell.
            terminalSize.Send("37 101\n"u8);
            Assert.Equal("37 101", g.Run("for i in $(seq 1 50); do [ \"$(stty size)\" = '37 101' ] && break; sleep 0.2; done; stty size").Trim());
            Assert.Matches(@"^/dev/(vda|root) / ext4 rw", g.Run("grep ' / ' /proc/mounts").Trim());
            g.Run("printf '%s\\n' '#include <stdio.h>' 'int main(void){int s=0;for(int i=1;i<=100;i++)s+=i;printf(\"sum=%d\\n\",s);return 0;}' > /root/hello.c");
            Assert.Equal("", g.Run("gcc -O1 -o /root/hello /root/hello.c 2>&1", TimeSpan.FromMinutes(8)).Trim());
            Assert.Equal("sum=5050", g.Run("/root/hello").Trim());
            g.Run("echo kept-across-boots > /root/note.txt && sync");
            g.Send("/run/webvm/shutdown");
            Assert.Equal(MachineExit.PoweredOff, g.WaitForExit(TimeSpan.FromMinutes(3)));
            Assert.Equal(0, g.Machine.Block!.IoErrors);
            Assert.True(server.BytesServed < stored, $"streamed {server.BytesServed} of {stored} bytes, not the whole image");
        }
        Assert.True(new FileInfo(overlay).Length > 0);

        // Second boot, same overlay (and now a warm cache): the work is still there.
        long servedBefore = server.ChunksServed;
        await using (var disk = Open(manifest, http, server, cache, overlay))
        {
            using var g = new GuestSession(Cmdline, 256u << 20, c => c with { Disk = disk.Source });
            g.WaitFor(GuestSession.Marker, BootTimeout);
            g.WaitFor("# ", TimeSpan.FromSeconds(120));
            Assert.Equal("kept-across-boots", g.Run("cat /root/note.txt").Trim());
            Assert.Equal("sum=5050", g.Run("/root/hello").Trim());
            g.Send("/run/webvm/shutdown");
            Assert.Equal(MachineExit.PoweredOff, g.WaitForExit(TimeSpan.FromMinutes(3)));
        }
        Assert.True(server.ChunksServed - servedBefore < 10, "the warm cache served the second boot");
    }

    private sealed record OpenDisk(CopyOnWriteSource Source) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Source.FlushAsync();
            await Source.DisposeAsync();
        }
    }

    private static OpenDisk Open(ImageManifest manifest, HttpClient http, ChunkHttpServer server, string cache, string overlay) =>
        new(new CopyOnWriteSource(
            new RemoteImageSource(manifest, new HttpChunkFetcher(http, server.ChunksUri), new FileChunkCache(cache)),
            new FileOverlayStore(overlay)));

    public void Dispose()
    {
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }
}
