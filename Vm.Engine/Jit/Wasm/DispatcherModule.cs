using static Vm.Engine.Jit.Wasm.JitStateMirror;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// The module that chains page modules inside wasm: it calls the first module through the
/// function table, and while that returns a branch whose target page has a module (TLB entry →
/// physical page → <see cref="JitStateMirror.PageFns"/>), calls that one at the target's block
/// (<see cref="JitStateMirror.PageTables"/>), until an exit that needs C#, the budget,
/// or a target no module holds. In the browser this replaces the C# loop whose iterations, on the
/// runtime's interpreter, cost more than the code they chained (97 M of them in the client workloads).
/// </summary>
public static class DispatcherModule
{
    public static byte[] Build()
    {
        var m = new WasmModuleBuilder();
        m.ImportMemory("env", "memory", 1);
        m.ImportTable("env", "table", 1);
        int runType = m.FunctionType([WasmType.I32], []);
        var c = new WasmCode(1);
        const int State = 0;
        int budget = c.AddLocal(WasmType.I32), total = c.AddLocal(WasmType.I32), chained = c.AddLocal(WasmType.I32),
            fn = c.AddLocal(WasmType.I32), eip = c.AddLocal(WasmType.I32), tlb = c.AddLocal(WasmType.I32);
        void Load(int offset) => c.Get(State).Mem(WasmOp.I32Load, (uint)offset, 2);
        void StoreFrom(int offset, Action value) { c.Get(State); value(); c.Mem(WasmOp.I32Store, (uint)offset, 2); }

        Load(OffBudget); c.Set(budget);
        Load(OffFirstFn); c.Set(fn);
        c.Block().Loop();
        c.Get(State).Get(fn).CallIndirect(runType);
        c.Get(total); Load(OffRetired); c.Op(WasmOp.I32Add).Set(total);
        // Only a branch can go on in another module; the budget bounds the time between timer checks.
        Load(OffExit); c.I32((int)JitExit.Branch).Op(WasmOp.I32Ne).BrIf(1);
        c.Get(total).Get(budget).I32(256).Op(WasmOp.I32Sub).Op(WasmOp.I32GeU).BrIf(1);
        Load(OffEip); c.Set(eip);
        // The target's TLB entry (read table: code fetches need the same access), RAM pages only.
        Load(OffTlbRead);
        c.Get(eip); Load(OffSegBase + 4 * 1); c.Op(WasmOp.I32Add).I32(12).Op(WasmOp.I32ShrU).I32(2).Op(WasmOp.I32Shl).Op(WasmOp.I32Add)
            .Mem(WasmOp.I32Load, 0, 2).Tee(tlb).I32(0xFFF).Op(WasmOp.I32And).BrIf(1);
        c.Get(tlb).I32(12).Op(WasmOp.I32ShrU); Load(OffPageCount); c.Op(WasmOp.I32GeU).BrIf(1);
        Load(OffPageFns);
        c.Get(tlb).I32(12).Op(WasmOp.I32ShrU).I32(2).Op(WasmOp.I32Shl).Tee(tlb).Op(WasmOp.I32Add).Mem(WasmOp.I32Load, 0, 2).Tee(fn)
            .Op(WasmOp.I32Eqz).BrIf(1);
        // The block at the target's page offset, from the page's block table (one load, where a
        // search inside the module cost a few mispredicted branches per hop); none: C# goes on.
        Load(OffPageTables);
        c.Get(tlb).Op(WasmOp.I32Add).Mem(WasmOp.I32Load, 0, 2).Get(eip).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Add)
            .Mem(WasmOp.I32Load8U, 0, 0).Tee(tlb).Op(WasmOp.I32Eqz).BrIf(1);
        StoreFrom(OffEntry, () => c.Get(tlb).I32(1).Op(WasmOp.I32Sub));
        StoreFrom(OffLinearPage, () => c.Get(eip).I32(unchecked((int)0xFFFFF000)).Op(WasmOp.I32And));
        StoreFrom(OffBudget, () => c.Get(budget).Get(total).Op(WasmOp.I32Sub));
        c.Get(chained).I32(1).Op(WasmOp.I32Add).Set(chained);
        c.Br(0);
        c.End().End();
        StoreFrom(OffRetired, () => c.Get(total));
        StoreFrom(OffChained, () => c.Get(chained));
        StoreFrom(OffBudget, () => c.Get(budget));
        int run = m.AddFunction(runType, c);
        m.Export("run", run);
        return m.Build();
    }
}
