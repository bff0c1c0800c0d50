using Vm.Engine.Cpu.Decoding;
using static Vm.Engine.Jit.Wasm.JitStateMirror;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// MOVSB/MOVSD and STOSB/STOSD, with and without REP (memcpy and memset of libc and the kernel:
/// the client workloads' most frequent exits after the byte shifts). Forward only (DF set exits).
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
        int size = (i.Op & 1) != 0 ? 4 : 1, shift = size == 4 ? 2 : 0;
        bool rep = (i.Pfx & Pfx.Rep) != 0;
        uint cause = (uint)i.Op;
        var load = size == 4 ? WasmOp.I32Load : WasmOp.I32Load8U;
        var store = size == 4 ? WasmOp.I32Store : WasmOp.I32Store8;
        c.Block().Loop();
        if (rep) c.Get(R0 + 1).Op(WasmOp.I32Eqz).BrIf(1);
        c.Get(Flags).I32(0x400).Op(WasmOp.I32And).If();
        Exit(JitExit.Interpret, eip, k, cause);
        c.End();
        // Destination: ES:EDI, translated for writing; N = the elements left in its page.
        c.Get(State).Mem(WasmOp.I32Load, OffSegBase + 4 * 0, 2).Get(R0 + 7).Op(WasmOp.I32Add).Set(Lin);
        StringProbe(TlbW, size, eip, k, Addr);
        c.I32(4096).Get(Lin).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Sub).I32(shift).Op(WasmOp.I32ShrU).Set(N);
        if (movs)
        {
            // Source: seg:ESI (DS unless overridden), for reading.
            c.Get(State).Mem(WasmOp.I32Load, (uint)(OffSegBase + 4 * i.Seg), 2).Get(R0 + 6).Op(WasmOp.I32Add).Set(Lin);
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
        c.Get(Ram).Get(Entry).Get(Lin).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Or).Op(WasmOp.I32Add).Set(into);
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
