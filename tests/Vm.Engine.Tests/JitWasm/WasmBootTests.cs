using System.Security.Cryptography;
using System.Text;
using Vm.Engine.Cpu;
using Vm.Engine.Jit.Wasm;
using Vm.Engine.Memory;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.JitWasm;

/// <summary>Boots Debian's kernel and BusyBox with the wasm backend on (its modules run by Wasmtime).</summary>
public sealed unsafe class WasmBootTests
{
    [Fact]
    public void Boot_WithWasmBackend_ReachesShell_RunsPrograms_MostlyInWasm()
    {
        const uint ram = 128u << 20;
        using var host = new WasmtimeCodeHost(ram);
        WasmBackend? backend = null;
        using (var g = new GuestSession("console=ttyS0 quiet cryptomgr.notests noisapnp", ram, c => c with
        {
            CreateMemoryAndCpu = (size, io) =>
            {
                var mem = new PhysicalMemory(host.Ram, size);
                var cpu = new X86Cpu(mem, io, host.Tlb);
                backend = WasmBackend.Install(cpu, mem, host);
                return (mem, cpu);
            },
        }))
        {
            g.WaitFor(GuestSession.Marker, TimeSpan.FromMinutes(8));
            g.WaitFor("# ", TimeSpan.FromSeconds(60));
            Assert.Equal("42", g.Run("echo $((6*7))").Trim());
            var content = new StringBuilder();
            for (int k = 1; k <= 500; k++) content.Append("webvm-").Append(k).Append('\n');
            string expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(content.ToString())));
            g.Run("for i in $(seq 1 500); do echo webvm-$i; done > /tmp/data");
            Assert.StartsWith(expected, g.Run("sha256sum /tmp/data").Trim());
            Assert.Equal("ok", g.Run("gzip -c /tmp/data | gunzip | cmp - /tmp/data && echo ok").Trim());
            var st = backend!.Stats;
            ulong total = g.Machine.Cpu.InstructionCount;
            // Printed for the profile in docs/jit.md.
            Console.WriteLine($"wasm boot: {st.WasmInstructions} of {total} instructions in wasm, {st.Entries} entries, {st.ModulesBuilt} modules ({st.ModuleBytes} bytes), {st.ModulesDiscarded} discarded, {st.InterpretExits} interpreter exits, {st.InterpretedEntries} entries not compiled yet, compile {st.CompileTicks / (double)System.Diagnostics.Stopwatch.Frequency:F1} s, {st.ShortBlocks} short blocks interpreted, {st.ChainedEntries} chained entries");
            Console.WriteLine("wasm boot exits: " + string.Join(", ", backend.TopExitCauses(24).Select(x => $"{x.Cause} {x.Count}")));
            Assert.True(st.WasmInstructions > (long)(total / 10), $"only {st.WasmInstructions} of {total} instructions ran in wasm");
        }
    }
}
