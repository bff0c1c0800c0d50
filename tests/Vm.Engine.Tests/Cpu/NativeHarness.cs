using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Vm.Engine.Tests.Cpu;

/// <summary>Builds (once) and runs Native/harness.c: instruction bytes executed by the host processor.</summary>
public static class NativeHarness
{
    private static readonly Lazy<string> Binary = new(Build);

    private static string Build()
    {
        string src = Path.Combine(AppContext.BaseDirectory, "Native", "harness.c");
        string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(src)))[..16];
        string dir = Path.Combine(Path.GetTempPath(), "webvm-harness-" + hash);
        string exe = Path.Combine(dir, "harness");
        if (File.Exists(exe)) return exe;
        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("gcc", ["-m32", "-O1", "-o", exe + ".tmp", src]) { RedirectStandardError = true, RedirectStandardOutput = true };
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Fail("The differential tests need gcc with 32-bit support: apt-get install gcc-multilib");
            throw;
        }
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            Assert.Fail($"gcc -m32 failed (install gcc-multilib): {err}");
        File.Move(exe + ".tmp", exe, true);
        return exe;
    }

    /// <summary>Runs every case; returns one output line per case.</summary>
    public static string[] Run(IReadOnlyList<string> lines)
    {
        var psi = new ProcessStartInfo(Binary.Value) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var input = new StringBuilder();
        foreach (var l in lines) input.Append(l).Append('\n');
        var writer = Task.Run(() => { p.StandardInput.Write(input.ToString()); p.StandardInput.Close(); });
        string output = p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        writer.Wait();
        p.WaitForExit();
        var result = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (result.Length != lines.Count)
            Assert.Fail($"Harness returned {result.Length} results for {lines.Count} cases: {err}");
        return result;
    }
}
