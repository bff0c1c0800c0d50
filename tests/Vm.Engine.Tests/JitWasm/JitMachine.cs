using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Devices;
using Vm.Engine.Jit.Wasm;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.JitWasm;

/// <summary>
/// A CPU whose RAM and TLB live in a Wasmtime memory, so the same guest program can run on the
/// interpreter alone or with the wasm backend (modules run by Wasmtime), in flat 32-bit
/// protected mode at CPL 3 with paging off (as Cpu/EngineRunner.cs).
/// </summary>
public sealed unsafe class JitMachine : IDisposable
{
    public const uint CodeAddr = 0x00900000, DataAddr = 0x00800000, StackTop = 0x00880000;
    public readonly WasmtimeCodeHost Host;
    public readonly PhysicalMemory Memory;
    public readonly X86Cpu Cpu;
    public readonly WasmBackend? Backend;

    /// <param name="dispatcher">Whether modules chain through the wasm dispatcher (else from C#, the fallback).</param>
    public JitMachine(bool wasm, int threshold = 2, bool dispatcher = true)
    {
        Host = new WasmtimeCodeHost { WithDispatcher = dispatcher };
        Memory = new PhysicalMemory(Host.Ram, Host.RamSize);
        Cpu = new X86Cpu(Memory, new IoBus(), Host.Tlb);
        if (wasm)
        {
            Backend = WasmBackend.Install(Cpu, Memory, Host);
            Cpu.JitThreshold = threshold;
        }
    }

    /// <summary>Loads code (a UD2 appended) and data, sets registers, runs until the UD2.</summary>
    public (int Vector, uint[] Regs, uint Eflags, byte[] Data, uint Eip) Run(byte[] code, uint[] regs, uint eflags, byte[] data, long budget = 10_000_000)
        => Run(code, regs, eflags, data, budget, paging: false);

    /// <summary>As <see cref="Run(byte[], uint[], uint, byte[], long)"/> with paging on (CR3 and CR4 set by the caller).</summary>
    public (int Vector, uint[] Regs, uint Eflags, byte[] Data, uint Eip) RunPaged(byte[] code, uint[] regs)
        => Run(code, regs, 0, new byte[16], 10_000_000, paging: true);

    private (int Vector, uint[] Regs, uint Eflags, byte[] Data, uint Eip) Run(byte[] code, uint[] regs, uint eflags, byte[] data, long budget, bool paging)
    {
        ref var s = ref Cpu.S;
        s.Cr0 = paging ? 0x80000011 : 0x11;
        Cpu.FlushTlb();
        Cpu.LoadSegFromDescriptor(Reg.Cs, 0x23, 0x0000FFFF, 0x00CFFA00);
        foreach (int seg in new[] { Reg.Ds, Reg.Es, Reg.Ss, Reg.Fs, Reg.Gs })
            Cpu.LoadSegFromDescriptor(seg, 0x2B, 0x0000FFFF, 0x00CFF200);
        Cpu.SetCpl(3);
        s.IdtBase = 0; s.IdtLimit = 0; // no IDT: the first exception stops the run, its vector recorded
        Memory.Load(CodeAddr, [.. code, 0x0F, 0x0B]);
        Memory.Load(DataAddr, data);
        for (int r = 0; r < 8; r++) s.R[r] = regs[r];
        s.Eflags = eflags | 2;
        s.Eip = CodeAddr;
        Cpu.LastFaultVector = -1;
        Cpu.StopReason = null;
        uint end = CodeAddr + (uint)code.Length;
        Cpu.Run(budget);
        int vector = Cpu.LastFaultVector == 6 && s.Eip == end ? -1 : Cpu.LastFaultVector;
        var outRegs = new uint[8];
        for (int r = 0; r < 8; r++) outRegs[r] = s.R[r];
        return (vector, outRegs, Cpu.GetEflags(), Memory.Span(DataAddr, data.Length).ToArray(), s.Eip);
    }

    public void Dispose()
    {
        Cpu.Dispose();
        Memory.Dispose();
        Host.Dispose();
    }
}
