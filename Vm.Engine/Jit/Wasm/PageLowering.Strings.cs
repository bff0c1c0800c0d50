using Vm.Engine.Cpu.Decoding;
using static Vm.Engine.Jit.Wasm.JitStateMirror;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// MOVS and STOS (byte, word, dword), with and without REP (memcpy and memset of libc and the
/// kernel: the client workloads' most frequent exits after the byte shifts), LODS without REP,
/// and SCASB (strlen: the boot's top exit after those).
/// Forward only (DF set exits).
/// </summary>
public sealed partial class PageLowering
{
    /// <summary>
    /// Runs of elements that stay inside one page of the destination (and the source), each
    /// translated once through the TLB and copied element by element (so an overlapping forward
    /// copy repeats bytes as the CPU's does); ECX, ESI and EDI advance per run. A miss, a page
    /// crossing element or DF exits to the interpreter at the instruction with the registers of
    /// the runs done: REP restarts from them, as after a fault.
    /// </summary>
    private void StringMove(in Instr i, uint eip, int k)
    {
        var c = _c;
        bool movs = i.Op is 0xA4 or 0xA5;
        int size = ElementSize(i), shift = size >> 1;
        bool rep = (i.Pfx & Pfx.Rep) != 0;
        uint cause = (uint)i.Op;
        var load = size switch { 4 => WasmOp.I32Load, 2 => WasmOp.I32Load16U, _ => WasmOp.I32Load8U };
        var store = size switch { 4 => WasmOp.I32Store, 2 => WasmOp.I32Store16, _ => WasmOp.I32Store8 };
        c.Block().Loop();
        if (rep) c.Get(R0 + 1).Op(WasmOp.I32Eqz).BrIf(1);
        c.Get(Flags).I32(0x400).Op(WasmOp.I32And).If();
        Exit(JitExit.Interpret, eip, k, cause);
        c.End();
        // Destination: ES:EDI, translated for writing; N = the elements left in its page.
        SegBase(0).Get(R0 + 7).Op(WasmOp.I32Add).Set(Lin);
        StringProbe(TlbW, size, eip, k, Addr);
        c.I32(4096).Get(Lin).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Sub).I32(shift).Op(WasmOp.I32ShrU).Set(N);
        if (movs)
        {
            // Source: seg:ESI (DS unless overridden), for reading.
            SegBase(i.Seg).Get(R0 + 6).Op(WasmOp.I32Add).Set(Lin);
            StringProbe(TlbR, size, eip, k, B);
            Min(N, () => c.I32(4096).Get(Lin).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Sub).I32(shift).Op(WasmOp.I32ShrU));
        }
        if (rep) Min(N, () => c.Get(R0 + 1));
        else c.I32(1).Set(N);
        // T: bytes done in this run.
        c.I32(0).Set(T);
        c.Loop();
        c.Get(Addr).Get(T).Op(WasmOp.I32Add);
        if (movs) c.Get(B).Get(T).Op(WasmOp.I32Add).Mem(load, 0, 0);
        else c.Get(R0);
        c.Mem(store, 0, 0);
        c.Get(T).I32(size).Op(WasmOp.I32Add).Tee(T).Get(N).I32(shift).Op(WasmOp.I32Shl).Op(WasmOp.I32LtU).BrIf(0);
        c.End();
        c.Get(R0 + 7).Get(T).Op(WasmOp.I32Add).Set(R0 + 7);
        if (movs) c.Get(R0 + 6).Get(T).Op(WasmOp.I32Add).Set(R0 + 6);
        if (rep)
        {
            c.Get(R0 + 1).Get(N).Op(WasmOp.I32Sub).Set(R0 + 1);
            c.Br(0);
        }
        c.End().End();
    }

    /// <summary>
    /// SCASB with REPNE / REPE or alone (strlen, memchr): AL compared with ES:EDI byte by byte
    /// through runs inside one page, stopping where REPNE finds a match (REPE a difference); EDI
    /// and ECX advance per byte, the flags are those of the last comparison (CMP AL, byte).
    /// </summary>
    private void StringScan(in Instr i, uint eip, int k)
    {
        var c = _c;
        bool rep = (i.Pfx & (Pfx.Rep | Pfx.Repne)) != 0, repe = (i.Pfx & Pfx.Rep) != 0;
        c.Block().Loop();
        if (rep) c.Get(R0 + 1).Op(WasmOp.I32Eqz).BrIf(1);
        c.Get(Flags).I32(0x400).Op(WasmOp.I32And).If();
        Exit(JitExit.Interpret, eip, k, (uint)i.Op);
        c.End();
        SegBase(0).Get(R0 + 7).Op(WasmOp.I32Add).Set(Lin);
        StringProbe(TlbR, 1, eip, k, Addr);
        c.I32(4096).Get(Lin).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Sub).Set(N);
        if (rep) Min(N, () => c.Get(R0 + 1));
        else c.I32(1).Set(N);
        // Entry: bytes compared in this run; B: the last one.
        c.I32(0).Set(Entry);
        c.Block().Loop();
        c.Get(Addr).Get(Entry).Op(WasmOp.I32Add).Mem(WasmOp.I32Load8U, 0, 0).Set(B);
        c.Get(Entry).I32(1).Op(WasmOp.I32Add).Set(Entry);
        if (rep) c.Get(B).Get(R0).I32(0xFF).Op(WasmOp.I32And).Op(repe ? WasmOp.I32Ne : WasmOp.I32Eq).BrIf(1);
        c.Get(Entry).Get(N).Op(WasmOp.I32LtU).BrIf(0);
        c.End().End();
        c.Get(R0 + 7).Get(Entry).Op(WasmOp.I32Add).Set(R0 + 7);
        if (rep) c.Get(R0 + 1).Get(Entry).Op(WasmOp.I32Sub).Set(R0 + 1);
        c.Get(R0).I32(0xFF).Op(WasmOp.I32And).Set(A);
        NarrowFlags(8, 7, keepCf: false);
        if (rep)
        {
            // Stopped by the condition: done; else the next page's run (or ECX is 0 at the top).
            c.Get(B).Get(R0).I32(0xFF).Op(WasmOp.I32And).Op(repe ? WasmOp.I32Ne : WasmOp.I32Eq).BrIf(1);
            c.Br(0);
        }
        c.End().End();
    }

    /// <summary>Bytes per element: 1 for the byte forms, 2 with an operand-size prefix, else 4.</summary>
    private static int ElementSize(in Instr i) => (i.Op & 1) == 0 ? 1 : i.O16 ? 2 : 4;

    /// <summary>LODSB/LODSW/LODSD without REP (string scanning loops): AL/AX/EAX from seg:ESI, ESI advances.</summary>
    private void StringLoad(in Instr i, uint eip, int k)
    {
        var c = _c;
        int size = ElementSize(i);
        c.Get(Flags).I32(0x400).Op(WasmOp.I32And).If();
        Exit(JitExit.Interpret, eip, k, (uint)i.Op);
        c.End();
        SegBase(i.Seg).Get(R0 + 6).Op(WasmOp.I32Add).Set(Lin);
        StringProbe(TlbR, size, eip, k, B);
        switch (size)
        {
            case 1: SetByteReg(0, () => c.Get(B).Mem(WasmOp.I32Load8U, 0, 0)); break;
            case 2: c.Get(R0).I32(unchecked((int)0xFFFF0000)).Op(WasmOp.I32And).Get(B).Mem(WasmOp.I32Load16U, 0, 0).Op(WasmOp.I32Or).Set(R0); break;
            default: c.Get(B).Mem(WasmOp.I32Load, 0, 0).Set(R0); break;
        }
        c.Get(R0 + 6).I32(size).Op(WasmOp.I32Add).Set(R0 + 6);
    }

    /// <summary>
    /// Lin through the TLB table in <paramref name="table"/> into <paramref name="into"/> (a wasm
    /// address in RAM) for an element of <paramref name="size"/> bytes that must not cross the page;
    /// else an exit to the interpreter at the instruction.
    /// </summary>
    private void StringProbe(int table, int size, uint eip, int k, int into)
    {
        var c = _c;
        c.Get(table).Get(Lin).I32(12).Op(WasmOp.I32ShrU).I32(2).Op(WasmOp.I32Shl).Op(WasmOp.I32Add)
            .Mem(WasmOp.I32Load, 0, 2).Tee(Entry)
            .I32(0xFFF).Op(WasmOp.I32And)
            .Get(Lin).I32(0xFFF).Op(WasmOp.I32And).I32(4096 - size).Op(WasmOp.I32GtU)
            .Op(WasmOp.I32Or).If();
        Exit(JitExit.Interpret, eip, k, ExitCause.TlbMiss);
        c.End();
        c.I32(_ramAddr).Get(Entry).Get(Lin).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Or).Op(WasmOp.I32Add).Set(into);
    }

    /// <summary>local = min(local, pushed value), unsigned.</summary>
    private void Min(int local, Action value)
    {
        var c = _c;
        value();
        c.Set(A);
        c.Get(local).Get(A).Get(local).Get(A).Op(WasmOp.I32LtU).Op(WasmOp.Select).Set(local);
    }
}
