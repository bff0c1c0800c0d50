using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Devices;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.Cpu;

/// <summary>Runs instruction bytes on the engine in flat 32-bit protected mode at CPL 3, paging off.</summary>
public sealed class EngineRunner : IDisposable
{
    public const uint DataAddr = 0x00800000, CodeAddr = 0x00900000;
    public const int MemSize = 512;
    private readonly PhysicalMemory _mem = new(16u << 20);
    private readonly X86Cpu _cpu;

    public EngineRunner()
    {
        _cpu = new X86Cpu(_mem, new IoBus());
    }

    public X86Cpu Cpu => _cpu;

    public PhysicalMemory Memory => _mem;

    /// <summary>Result: vector (-1 when none), registers (eax..edi), eflags, memory.</summary>
    /// <param name="viaBlocks">
    /// Run through the interpreter's block loop (decoded blocks, specialized and fused handlers,
    /// links) instead of single steps: the code gets a UD2 appended, and #UD right there is the end.
    /// </param>
    /// <param name="setup">Changes the machine state after the flat setup (e.g. a segment with a limit).</param>
    public (int Vector, uint[] Regs, uint Eflags, byte[] Mem) Run(byte[] code, uint[] regs, uint eflags, byte[] mem, bool viaBlocks = false, Action<X86Cpu>? setup = null)
    {
        _cpu.Reset();
        _cpu.FlushCodeCache();
        ref var s = ref _cpu.S;
        s.Cr0 = 0x11;
        _cpu.LoadSegFromDescriptor(Reg.Cs, 0x23, 0x0000FFFF, 0x00CFFA00);
        foreach (int seg in new[] { Reg.Ds, Reg.Es, Reg.Ss, Reg.Fs, Reg.Gs })
            _cpu.LoadSegFromDescriptor(seg, 0x2B, 0x0000FFFF, 0x00CFF200);
        _cpu.SetCpl(3);
        setup?.Invoke(_cpu);
        s.IdtBase = 0; s.IdtLimit = 0; // any exception escalates to a stop; the first vector is recorded
        _mem.Load(CodeAddr, viaBlocks ? [.. code, 0x0F, 0x0B] : code);
        _mem.Load(DataAddr, mem);
        for (int r = 0; r < 8; r++) s.R[r] = regs[r];
        s.Eflags = eflags | 2;
        s.Eip = CodeAddr;
        _cpu.LastFaultVector = -1;
        _cpu.StopReason = null;
        uint end = CodeAddr + (uint)code.Length;
        int vector;
        if (viaBlocks)
        {
            // No IDT: the first exception escalates to a triple fault, which stops Run.
            _cpu.Run(100_000);
            vector = _cpu.LastFaultVector == 6 && s.Eip == end ? -1 : _cpu.LastFaultVector;
        }
        else
        {
            for (int steps = 0; steps < 10000 && s.Eip != end; steps++)
            {
                _cpu.Step();
                if (_cpu.LastFaultVector >= 0) break;
            }
            vector = _cpu.LastFaultVector;
        }
        var outRegs = new uint[8];
        for (int r = 0; r < 8; r++) outRegs[r] = s.R[r];
        return (vector, outRegs, _cpu.GetEflags(), _mem.Span(DataAddr, MemSize).ToArray());
    }

    public void Dispose()
    {
        _cpu.Dispose();
        _mem.Dispose();
    }
}
