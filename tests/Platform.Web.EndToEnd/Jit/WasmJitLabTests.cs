using System.Text.Json;
using Platform.Web.EndToEnd.Infrastructure;
using Platform.Web.EndToEnd.Labs;

namespace Platform.Web.EndToEnd.Jit;

/// <summary>
/// The lab in Chromium with the wasm JIT: modules generated in C# are instantiated on the .NET
/// runtime's memory (they read and write guest RAM that C# allocated with NativeMemory) and run
/// the guest to its prompt and through a command, chained by the dispatcher module through the
/// runtime's function table.
/// </summary>
public sealed class WasmJitLabTests(BootedLabFixture lab) : IClassFixture<BootedLabFixture>
{
    private sealed record JitStats(bool Available, int Modules, long Bytes, int Released, int Failures, string? Dispatcher);

    private async Task<JitStats> StatsAsync()
    {
        string json = await lab.Page.EvaluateAsync<string>("() => JSON.stringify(globalThis.webvmJitStats ?? null)");
        return JsonSerializer.Deserialize<JitStats>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new InvalidOperationException("The page never loaded the wasm JIT's glue (js/jit.js).");
    }

    [Fact]
    public async Task OpenLab_WithWasmJit_BootsOnGeneratedModules_AndAnswersCommands()
    {
        var before = await StatsAsync();
        Assert.True(before.Available, "generated code cannot share the .NET runtime's memory in this Chromium");
        Assert.True(before.Modules > 0, "the boot compiled no wasm modules");
        Assert.Equal(0, before.Failures);
        // Modules chain through the dispatcher module on the runtime's function table, not through C#.
        Assert.Equal("wasm", before.Dispatcher);

        // A loop in the guest shell: hot code, compiled while it runs, and the right answer.
        await lab.Page.RunAsync("i=0; s=0; while [ $i -lt 3000 ]; do s=$((s+i)); i=$((i+1)); done; echo sum=$s");
        await lab.Page.ExpectOutputAsync("sum=4498500");
        var after = await StatsAsync();
        Assert.True(after.Modules >= before.Modules);
        Assert.Equal(0, after.Failures);
        await File.WriteAllTextAsync(Path.Combine(Artifacts.Folder("logs"), "lab-wasm-jit.txt"),
            $"open-to-prompt {lab.OpenToPrompt.TotalSeconds:F1} s; modules {after.Modules} ({after.Bytes} bytes), released {after.Released}\n");
    }
}
