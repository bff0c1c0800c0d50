using Vm.Engine.Cpu.Decoding;
using static Vm.Engine.Jit.Wasm.JitStateMirror;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// Lowers the blocks of one code page into one wasm module with one exported function,
/// <c>run(state)</c>. Guest registers and the lazy flag state live in wasm locals while the code
/// runs; a dispatch loop (br_table over the block index) chains blocks inside wasm, so control
/// returns to C# only to leave the page, for an instruction it does not lower, a TLB miss, or
/// when the instruction budget is spent. Every exit writes the exact guest state of the
/// instruction boundary it leaves at; memory is touched only through the TLB fast path (a miss
/// exits before the instruction changed anything, and the interpreter redoes it, faults included).
/// All addresses come from the state mirror, so the same bytes run in the browser and in Wasmtime;
/// EIPs are page offsets (the blocks' <c>StartEip</c> etc.), made linear with the mirror's
/// LinearPage, so the module depends on the physical page alone.
/// </summary>
public sealed partial class PageLowering
{
    // Locals: parameter 0 is the state mirror's address.
    private const int State = 0, R0 = 1, LOp = 9, LDst = 10, LSrc = 11, LRes = 12, LCf = 13, Flags = 14,
        Next = 15, Retired = 16, Budget = 17, A = 18, B = 19, Lin = 20, Entry = 21, Addr = 22, Ram = 23 /* unused: RAM's address is a constant */, TlbR = 24, TlbW = 25, LinPage = 26,
        N = 27, T = 28, Wide = 29, ExitEip = 30, ExitWhy = 31, EsBase = 32, SsBase = 33, DsBase = 34;
    private const uint OpNone = 0, OpAdd = 1, OpSub = 2, OpLogic = 3, OpInc = 4, OpDec = 5, OpKindMask = 0xF;

    /// <summary>
    /// Added to a lazy op for a byte (0x10) or word (0x20) result: a state only generated code
    /// holds (the CPU's lazy state, and so the mirror, is 32-bit), materialized into EFLAGS by the
    /// exit sequence before the state leaves the module.
    /// </summary>
    private static uint NarrowOp(int bits) => bits == 8 ? 0x10u : 0x20u;

    private readonly List<GuestBlock> _blocks;
    private readonly Dictionary<uint, int> _index = new();
    private readonly WasmCode _c = new(1);
    private readonly uint _tableAddr;
    /// <summary>Guest RAM's wasm address: a constant in the code (fixed for the machine's life), not a local that takes a register.</summary>
    private readonly uint _ramAddr;
    private int _flagsFn;
    /// <summary>The dispatch loop's depth (<see cref="WasmCode.Depth"/>): a branch there goes through the br_table.</summary>
    private int _loopDepth;
    /// <summary>
    /// The depth of the wasm block whose end starts block i's code (index n: the resolve case). Code
    /// of block i runs inside the blocks of all later ones, so a branch forward to block j &gt; i is a
    /// plain <c>br</c> to that end: only backward branches go through the dispatch loop's br_table.
    /// </summary>
    private int[] _blockDepth = [];
    /// <summary>The block being lowered, and the depth of its own loop when it branches to itself (else -1).</summary>
    private int _current, _selfDepth;
    /// <summary>The depth (<see cref="WasmCode.Depth"/>) of the block every exit branches out of to the one exit sequence.</summary>
    private int _exitDepth;
    private uint? _knownOp; // the flag producer's kind when it is in the current block
    /// <summary>The width of a byte or word compare that was the instruction just lowered (its operands in A and B), else 0.</summary>
    private int _narrowCompareBits;

    private PageLowering(List<GuestBlock> blocks, uint tableAddr, uint ramAddr)
    {
        _ramAddr = ramAddr;
        // In address order, a block's fall-through successor is usually the next one, whose code
        // follows it: reached by falling through, not through the dispatch loop's br_table.
        _blocks = blocks.OrderBy(b => b.StartEip).ToList();
        _tableAddr = tableAddr;
        for (int i = 0; i < _blocks.Count; i++) _index[_blocks[i].StartEip] = i;
    }

    /// <summary>The module's bytes and the block index of each entry EIP.</summary>
    /// <param name="tableAddr">
    /// The wasm address of the page's block table (4096 bytes, block index + 1 at each page offset
    /// where one of the returned blocks starts), which the caller fills before the module runs: a
    /// RET or indirect branch inside the page finds its block there.
    /// </param>
    /// <param name="ramAddr">Guest RAM's wasm address (the mirror's Ram), built into the code.</param>
    public static (byte[] Module, Dictionary<uint, int> Entries) Lower(List<GuestBlock> blocks, uint tableAddr, uint ramAddr)
    {
        var l = new PageLowering(blocks, tableAddr, ramAddr);
        return (l.Build(), l._index);
    }

    private byte[] Build()
    {
        var m = new WasmModuleBuilder();
        m.ImportMemory("env", "memory", 1);
        int runType = m.FunctionType([WasmType.I32], []);
        int flagsType = m.FunctionType([WasmType.I32, WasmType.I32, WasmType.I32, WasmType.I32, WasmType.I32, WasmType.I32], [WasmType.I32]);
        _flagsFn = 1; // run is function 0, the flags helper function 1
        for (int i = 0; i < 28; i++) _c.AddLocal(WasmType.I32);
        _c.AddLocal(WasmType.I64); // Wide: a 64-bit product
        _c.AddLocal(WasmType.I32); // ExitEip
        _c.AddLocal(WasmType.I32); // ExitWhy: JitExit | cause << 8
        for (int s = 0; s < 3; s++) _c.AddLocal(WasmType.I32); // EsBase, SsBase, DsBase
        EmitRun();
        int run = m.AddFunction(runType, _c);
        m.AddFunction(flagsType, FlagsHelper());
        m.Export("run", run);
        return m.Build();
    }

    // ---------------------------------------------------------------- entry, dispatch, exit

    private void EmitRun()
    {
        var c = _c;
        for (int r = 0; r < 8; r++) c.Get(State).Mem(WasmOp.I32Load, (uint)(OffR + 4 * r), 2).Set(R0 + r);
        Load(OffEflags, Flags); Load(OffLazyOp, LOp); Load(OffLazyDst, LDst); Load(OffLazySrc, LSrc);
        Load(OffLazyRes, LRes); Load(OffLazyCf, LCf); Load(OffBudget, Budget); Load(OffEntry, Next);
        Load(OffTlbRead, TlbR); Load(OffTlbWrite, TlbW); Load(OffLinearPage, LinPage);
        Load(OffSegBase + 4 * 0, EsBase); Load(OffSegBase + 4 * 2, SsBase); Load(OffSegBase + 4 * 3, DsBase);
        c.I32(0).Set(Retired);
        int n = _blocks.Count;
        c.Loop();
        _loopDepth = c.Depth;
        c.Block(); // every exit branches out of this to the one exit sequence below
        _exitDepth = c.Depth;
        _blockDepth = new int[n + 1];
        for (int i = n; i >= 0; i--)
        {
            c.Block();
            _blockDepth[i] = c.Depth;
        }
        var cases = new int[n + 1];
        for (int i = 0; i <= n; i++) cases[i] = i;
        c.Get(Next).BrTable(cases, n);
        for (int i = 0; i < n; i++)
        {
            c.End();
            _current = i;
            EmitBlock(_blocks[i]);
        }
        c.End();
        EmitResolve();
        c.End(); // exit block
        EmitExitSequence();
        c.End(); // loop
        c.Op(WasmOp.Unreachable);
    }

    /// <summary>
    /// The state write-back every exit shares (an exit sets ExitEip, ExitWhy and Retired and
    /// branches here): one copy of the ~20 stores per module instead of one per exit, which made
    /// most of a module's bytes (and of the browser's compile time).
    /// </summary>
    private void EmitExitSequence()
    {
        var c = _c;
        // A byte or word lazy state becomes EFLAGS (the mirror carries the CPU's 32-bit kinds only).
        c.Get(LOp).I32((int)NarrowOp(8)).Op(WasmOp.I32GeU).If();
        MaterializedFlags();
        c.Set(Flags).I32((int)OpNone).Set(LOp);
        c.End();
        for (int r = 0; r < 8; r++) Store(OffR + 4 * r, R0 + r);
        Store(OffEflags, Flags); Store(OffLazyOp, LOp); Store(OffLazyDst, LDst); Store(OffLazySrc, LSrc);
        Store(OffLazyRes, LRes); Store(OffLazyCf, LCf);
        Store(OffRetired, Retired);
        Store(OffEip, ExitEip);
        c.Get(State).Get(ExitWhy).I32(0xFF).Op(WasmOp.I32And).Mem(WasmOp.I32Store, OffExit, 2);
        c.Get(State).Get(ExitWhy).I32(8).Op(WasmOp.I32ShrU).Mem(WasmOp.I32Store, OffExitCause, 2);
        c.Op(WasmOp.Return);
    }

    /// <summary>
    /// The dispatch loop's last case: continues at the block starting at page offset A (a RET or
    /// indirect branch that stays in the page) through the page's block table; where no block
    /// starts there, exits with <see cref="JitExit.NoBlock"/> (EIP that address: the run loop goes on from it).
    /// </summary>
    private void EmitResolve()
    {
        var c = _c;
        c.Get(A).Mem(WasmOp.I32Load8U, _tableAddr, 0).Tee(T).If();
        c.Get(Retired).Get(Budget).Op(WasmOp.I32GeU).If();
        Exit(JitExit.Budget, () => c.Get(LinPage).Get(A).Op(WasmOp.I32Add), 0);
        c.End();
        c.Get(T).I32(1).Op(WasmOp.I32Sub).Set(Next).Br(c.Depth - _loopDepth);
        c.End();
        Exit(JitExit.NoBlock, () => c.Get(LinPage).Get(A).Op(WasmOp.I32Add), 0);
    }

    /// <summary>
    /// A transfer to the EIP in <paramref name="target"/> after <paramref name="done"/> more
    /// instructions: inside this module when it stays in the page (the resolve case finds the
    /// block), else a branch exit for the dispatcher.
    /// </summary>
    private void BranchTo(int target, int done)
    {
        var c = _c;
        c.Get(target).I32(unchecked((int)0xFFFFF000)).Op(WasmOp.I32And).Get(LinPage).Op(WasmOp.I32Eq).If();
        c.Get(target).I32(0xFFF).Op(WasmOp.I32And).Set(A);
        c.Get(Retired).I32(done).Op(WasmOp.I32Add).Set(Retired);
        c.Br(c.Depth - _blockDepth[_blocks.Count]);
        c.End();
        Exit(JitExit.Branch, () => c.Get(target), done);
    }

    private void Load(int offset, int local) => _c.Get(State).Mem(WasmOp.I32Load, (uint)offset, 2).Set(local);

    private void Store(int offset, int local) => _c.Get(State).Get(local).Mem(WasmOp.I32Store, (uint)offset, 2);

    /// <summary>Writes the state back and returns: retired counts <paramref name="done"/> more instructions.</summary>
    private void Exit(JitExit why, uint eip, int done, uint cause = 0) => Exit(why, () => _c.Get(LinPage).I32(eip).Op(WasmOp.I32Add), done, cause);

    /// <summary>As above with the EIP computed (a RET's popped address): branches to the exit sequence.</summary>
    private void Exit(JitExit why, Action pushEip, int done, uint cause = 0)
    {
        var c = _c;
        pushEip();
        c.Set(ExitEip);
        c.I32((int)((uint)why | cause << 8)).Set(ExitWhy);
        if (done != 0) c.Get(Retired).I32(done).Op(WasmOp.I32Add).Set(Retired);
        c.Br(c.Depth - _exitDepth);
    }

    /// <summary>
    /// Continues at <paramref name="target"/>: inside the module when it is a block here (its own
    /// loop for the block itself; falling through for the next block when <paramref name="last"/>
    /// says nothing follows; else the dispatch loop), else an exit.
    /// </summary>
    private void Goto(uint target, int done, bool last = false)
    {
        if (_index.TryGetValue(target, out int idx))
        {
            _c.Get(Retired).I32(done).Op(WasmOp.I32Add).Set(Retired);
            if (idx <= _current)
            {
                // The budget is checked on backward branches (forward ones cannot loop), so a loop
                // inside the module still returns; a check at every block start cost a compare
                // and branch per block on paths that cannot repeat.
                _c.Get(Retired).Get(Budget).Op(WasmOp.I32GeU).If();
                Exit(JitExit.Budget, target, 0);
                _c.End();
            }
            if (idx == _current && _selfDepth >= 0) _c.Br(_c.Depth - _selfDepth);
            else if (last && idx == _current + 1) { }
            else if (idx > _current) _c.Br(_c.Depth - _blockDepth[idx]);
            else _c.I32(idx).Set(Next).Br(_c.Depth - _loopDepth);
        }
        else
        {
            Exit(JitExit.Branch, target, done);
        }
    }

    /// <summary>Pushes a segment's base: ES, SS and DS from locals loaded at entry, the others from the mirror.</summary>
    private WasmCode SegBase(int seg) => seg switch
    {
        0 => _c.Get(EsBase),
        2 => _c.Get(SsBase),
        3 => _c.Get(DsBase),
        _ => _c.Get(State).Mem(WasmOp.I32Load, (uint)(OffSegBase + 4 * seg), 2),
    };

    private static bool BranchesToItself(GuestBlock b) =>
        (b.End is BlockEnd.Jump or BlockEnd.Conditional or BlockEnd.Call && b.Taken == b.StartEip)
        || (b.End is BlockEnd.Conditional or BlockEnd.Continue && b.FallThrough == b.StartEip);

    private void EmitBlock(GuestBlock b)
    {
        var c = _c;
        _knownOp = null;
        _narrowCompareBits = 0;
        // A block that loops on itself gets a wasm loop of its own: its back edge is a plain branch.
        _selfDepth = -1;
        if (BranchesToItself(b))
        {
            c.Loop();
            _selfDepth = c.Depth;
        }
        for (int k = 0; k < b.Body.Count; k++)
        {
            var (eip, i) = b.Body[k];
            EmitInstr(i, eip, k);
        }
        int n = b.Length;
        switch (b.End)
        {
            case BlockEnd.Interpret:
                Exit(JitExit.Interpret, b.FallThrough, n, b.StopCause);
                break;
            case BlockEnd.Jump:
                Goto(b.Taken, n, last: true);
                break;
            case BlockEnd.Continue:
                Goto(b.FallThrough, n, last: true);
                break;
            case BlockEnd.Call:
                // Push the return address (probed first: a miss leaves the CALL to the interpreter).
                c.Get(LinPage).I32(b.FallThrough).Op(WasmOp.I32Add).Set(B);
                SegBase(2).Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Op(WasmOp.I32Add).Set(Lin);
                ProbeLin(b.TransferEip, n - 1, write: true);
                c.Get(Addr).Get(B).Mem(WasmOp.I32Store, 0, 0);
                c.Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Set(R0 + 4);
                Goto(b.Taken, n, last: true);
                break;
            case BlockEnd.Return:
                SegBase(2).Get(R0 + 4).Op(WasmOp.I32Add).Set(Lin);
                ProbeLin(b.TransferEip, n - 1, write: false);
                c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(B);
                c.Get(R0 + 4).I32(4).Op(WasmOp.I32Add).Set(R0 + 4);
                BranchTo(B, n);
                break;
            case BlockEnd.Indirect:
                IndirectTransfer(b, n);
                break;
            default:
            {
                // The successor that is the next block goes last, reached by falling through.
                bool takenNext = _index.TryGetValue(b.Taken, out int t) && t == _current + 1
                    && !(_index.TryGetValue(b.FallThrough, out int f) && f == _current + 1);
                EmitCondition(takenNext ? b.Condition ^ 1 : b.Condition);
                c.If();
                Goto(takenNext ? b.FallThrough : b.Taken, n);
                c.End();
                Goto(takenNext ? b.Taken : b.FallThrough, n, last: true);
                break;
            }
        }
        if (_selfDepth >= 0) c.End();
    }

    // ---------------------------------------------------------------- instructions

    private void EmitInstr(Instr i, uint eip, int k)
    {
        int op = i.Op;
        _narrowCompareBits = 0;
        // 16-bit forms are all EmitMore's (the 32-bit ALU below would ignore the prefix).
        if (i.O16 && EmitMore(i, eip, k)) return;
        if (InstructionSupport.AluKind(op) is int kind)
        {
            switch (op & 7)
            {
                case 1: Alu(kind, i, eip, k, destIsE: true, src: () => _c.Get(R0 + i.RegField)); break;
                case 3: Alu(kind, i, eip, k, destIsE: false, src: null); break;
                default: AluReg(kind, 0, () => _c.I32(i.Imm)); break;
            }
            return;
        }
        if (EmitMore(i, eip, k)) return;
        switch (op)
        {
            case 0x81: case 0x83:
                Alu(i.RegField, i, eip, k, destIsE: true, src: () => _c.I32(i.Imm));
                break;
            case 0x85:
                Alu(8, i, eip, k, destIsE: true, src: () => _c.Get(R0 + i.RegField));
                break;
            case 0xF7:
                Alu(8, i, eip, k, destIsE: true, src: () => _c.I32(i.Imm));
                break;
            case 0xA9:
                AluReg(8, 0, () => _c.I32(i.Imm));
                break;
            case 0x89:
                if (!i.IsMem) { _c.Get(R0 + i.RegField).Set(R0 + i.Rm); break; }
                Probe(i, eip, k, write: true);
                _c.Get(Addr).Get(R0 + i.RegField).Mem(WasmOp.I32Store, 0, 0);
                break;
            case 0xC7:
                if (!i.IsMem) { _c.I32(i.Imm).Set(R0 + i.Rm); break; }
                Probe(i, eip, k, write: true);
                _c.Get(Addr).I32(i.Imm).Mem(WasmOp.I32Store, 0, 0);
                break;
            case 0x8B:
                if (!i.IsMem) { _c.Get(R0 + i.Rm).Set(R0 + i.RegField); break; }
                Probe(i, eip, k, write: false);
                _c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(R0 + i.RegField);
                break;
            case 0x8D:
                EffectiveAddress(i);
                _c.Set(R0 + i.RegField);
                break;
            case >= 0xB8 and <= 0xBF:
                _c.I32(i.Imm).Set(R0 + (op & 7));
                break;
            case 0x88:
                if (!i.IsMem) { SetByteReg(i.Rm, () => GetByteReg(i.RegField)); break; }
                Probe(i, eip, k, write: true, size: 1);
                _c.Get(Addr);
                GetByteReg(i.RegField);
                _c.Mem(WasmOp.I32Store8, 0, 0);
                break;
            case 0x8A:
                if (!i.IsMem) { SetByteReg(i.RegField, () => GetByteReg(i.Rm)); break; }
                Probe(i, eip, k, write: false, size: 1);
                SetByteReg(i.RegField, () => _c.Get(Addr).Mem(WasmOp.I32Load8U, 0, 0));
                break;
            case 0xC6:
                if (!i.IsMem) { SetByteReg(i.Rm, () => _c.I32(i.Imm & 0xFF)); break; }
                Probe(i, eip, k, write: true, size: 1);
                _c.Get(Addr).I32(i.Imm).Mem(WasmOp.I32Store8, 0, 0);
                break;
            case 0x1B6: case 0x1B7: case 0x1BE: case 0x1BF:
                Extend(i, eip, k, word: (op & 1) != 0, signed: op >= 0x1BE);
                break;
            case >= 0x40 and <= 0x4F:
                IncDec(op & 7, dec: op >= 0x48);
                break;
            case >= 0x50 and <= 0x57:
                Push(op & 7, eip, k);
                break;
            default: // 0x58..0x5F
                Pop(op & 7, eip, k);
                break;
        }
    }

    /// <summary>Pushes byte register r (0-3: AL, CL, DL, BL; 4-7: AH, CH, DH, BH), zero-extended.</summary>
    /// <summary>
    /// The 32-bit r/m operand into a local: through the TLB probe (which exits on a miss, with
    /// <paramref name="write"/> asking for a writable page when the instruction stores back) or from the register.
    /// </summary>
    private void LoadRm32(in Instr i, uint eip, int k, bool write, int into)
    {
        if (i.IsMem)
        {
            Probe(i, eip, k, write);
            _c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(into);
        }
        else
        {
            _c.Get(R0 + i.Rm).Set(into);
        }
    }

    private void GetByteReg(int r)
    {
        if (r < 4) _c.Get(R0 + r);
        else _c.Get(R0 + r - 4).I32(8).Op(WasmOp.I32ShrU);
        _c.I32(0xFF).Op(WasmOp.I32And);
    }

    /// <summary>Writes the low byte of the pushed value into byte register r, the rest of the register kept.</summary>
    private void SetByteReg(int r, Action value)
    {
        int reg = R0 + (r & 3);
        int shift = r < 4 ? 0 : 8;
        _c.Get(reg).I32(~(0xFF << shift)).Op(WasmOp.I32And);
        value();
        _c.I32(0xFF).Op(WasmOp.I32And);
        if (shift != 0) _c.I32(shift).Op(WasmOp.I32Shl);
        _c.Op(WasmOp.I32Or).Set(reg);
    }

    /// <summary>MOVZX / MOVSX r32, r/m8 or r/m16 (byte registers 4-7 are AH, CH, DH, BH).</summary>
    private void Extend(in Instr i, uint eip, int k, bool word, bool signed)
    {
        if (i.IsMem)
        {
            Probe(i, eip, k, write: false, size: word ? 2 : 1);
            var load = word ? (signed ? WasmOp.I32Load16S : WasmOp.I32Load16U) : (signed ? WasmOp.I32Load8S : WasmOp.I32Load8U);
            _c.Get(Addr).Mem(load, 0, 0).Set(R0 + i.RegField);
            return;
        }
        int shift = 32 - (word ? 16 : 8);
        if (!word && i.Rm >= 4) _c.Get(R0 + i.Rm - 4).I32(8).Op(WasmOp.I32ShrU);
        else _c.Get(R0 + i.Rm);
        // Keep the low bits and extend: (x << shift) >> shift, arithmetic for MOVSX.
        _c.I32(shift).Op(WasmOp.I32Shl).I32(shift).Op(signed ? WasmOp.I32ShrS : WasmOp.I32ShrU).Set(R0 + i.RegField);
    }

    /// <summary>Pushes base + index·2^scale + disp (the offset, no segment).</summary>
    private void EffectiveAddress(in Instr i)
    {
        _c.I32(i.Disp);
        if (i.Base != Instr.NoReg) _c.Get(R0 + i.Base).Op(WasmOp.I32Add);
        if (i.Index != Instr.NoReg)
        {
            _c.Get(R0 + i.Index);
            if (i.Scale != 0) _c.I32(i.Scale).Op(WasmOp.I32Shl);
            _c.Op(WasmOp.I32Add);
        }
    }

    /// <summary>Computes the linear address of i's memory operand into Lin.</summary>
    private void LinearAddress(in Instr i)
    {
        SegBase(i.Seg);
        EffectiveAddress(i);
        _c.Op(WasmOp.I32Add).Set(Lin);
    }

    /// <summary>
    /// Translates Lin through the TLB into Addr (a wasm address in guest RAM) for an access of
    /// <paramref name="size"/> bytes, or exits to the interpreter at the instruction (a miss, a
    /// page-crossing access, MMIO, or a write to a page with code: the slow path owns all of those).
    /// </summary>
    private void ProbeLin(uint eip, int k, bool write, int size = 4)
    {
        var c = _c;
        c.Get(write ? TlbW : TlbR).Get(Lin).I32(12).Op(WasmOp.I32ShrU).I32(2).Op(WasmOp.I32Shl).Op(WasmOp.I32Add)
            .Mem(WasmOp.I32Load, 0, 2).Tee(Entry)
            .I32(0xFFF).Op(WasmOp.I32And);
        // A byte never crosses a page; wider accesses in the page's last bytes are the slow path's
        // (byte loads at 0xFFD-0xFFF exited with the 4-byte check: gzip's window scans met them at every page).
        if (size > 1) c.Get(Lin).I32(0xFFF).Op(WasmOp.I32And).I32(4096 - size).Op(WasmOp.I32GtU).Op(WasmOp.I32Or);
        c.If();
        Exit(JitExit.Interpret, eip, k, ExitCause.TlbMiss);
        c.End();
        c.I32(_ramAddr).Get(Entry).Get(Lin).I32(0xFFF).Op(WasmOp.I32And).Op(WasmOp.I32Or).Op(WasmOp.I32Add).Set(Addr);
    }

    private void Probe(in Instr i, uint eip, int k, bool write, int size = 4)
    {
        LinearAddress(i);
        ProbeLin(eip, k, write, size);
    }

    private void Push(int reg, uint eip, int k)
    {
        // The value is read before ESP moves (PUSH ESP pushes the old value).
        _c.Get(R0 + reg).Set(A);
        SegBase(2).Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Op(WasmOp.I32Add).Set(Lin);
        ProbeLin(eip, k, write: true);
        _c.Get(Addr).Get(A).Mem(WasmOp.I32Store, 0, 0);
        _c.Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Set(R0 + 4);
    }

    private void Pop(int reg, uint eip, int k)
    {
        SegBase(2).Get(R0 + 4).Op(WasmOp.I32Add).Set(Lin);
        ProbeLin(eip, k, write: false);
        _c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(A);
        // ESP moves first, then the register is written (POP ESP loads the popped value).
        _c.Get(R0 + 4).I32(4).Op(WasmOp.I32Add).Set(R0 + 4);
        _c.Get(A).Set(R0 + reg);
    }

    /// <summary>
    /// An ALU op with a ModRM operand. kind: 0 ADD, 1 OR, 4 AND, 5 SUB, 6 XOR, 7 CMP, 8 TEST.
    /// destIsE: E op= src (src null means G); else G op= E.
    /// </summary>
    private void Alu(int kind, Instr i, uint eip, int k, bool destIsE, Action? src)
    {
        bool writes = kind is not (7 or 8);
        if (!i.IsMem)
        {
            int dst = destIsE ? i.Rm : i.RegField;
            int other = destIsE ? i.RegField : i.Rm;
            AluReg(kind, dst, src ?? (() => _c.Get(R0 + other)));
            return;
        }
        // Translate before anything changes: a miss leaves the instruction to the interpreter.
        Probe(i, eip, k, write: destIsE && writes);
        if (destIsE)
        {
            _c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(A);
            (src ?? (() => _c.Get(R0 + i.RegField)))();
            _c.Set(B);
            Compute(kind);
            if (writes) _c.Get(Addr).Get(LRes).Mem(WasmOp.I32Store, 0, 0);
        }
        else
        {
            _c.Get(R0 + i.RegField).Set(A);
            _c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(B);
            Compute(kind);
            if (writes) _c.Get(LRes).Set(R0 + i.RegField);
        }
    }

    private void AluReg(int kind, int dst, Action src)
    {
        _c.Get(R0 + dst).Set(A);
        src();
        _c.Set(B);
        Compute(kind);
        if (kind is not (7 or 8)) _c.Get(LRes).Set(R0 + dst);
    }

    /// <summary>LRes = A op B, and the lazy flag state the CPU would record.</summary>
    private void Compute(int kind)
    {
        var c = _c;
        c.Get(A).Get(B);
        uint lazy;
        switch (kind)
        {
            case 0: c.Op(WasmOp.I32Add); lazy = OpAdd; break;
            case 1: c.Op(WasmOp.I32Or); lazy = OpLogic; break;
            case 4: case 8: c.Op(WasmOp.I32And); lazy = OpLogic; break;
            case 6: c.Op(WasmOp.I32Xor); lazy = OpLogic; break;
            // ADC and SBB take CF from the state before them; their lazy state is the CPU's
            // (Add/Sub of the operands, the carry only in the result), which its formulas expect.
            case 2: c.Op(WasmOp.I32Add); CarryFlag(); c.Op(WasmOp.I32Add); lazy = OpAdd; break;
            case 3: c.Op(WasmOp.I32Sub); CarryFlag(); c.Op(WasmOp.I32Sub); lazy = OpSub; break;
            default: c.Op(WasmOp.I32Sub); lazy = OpSub; break; // SUB, CMP
        }
        c.Set(LRes);
        c.Get(A).Set(LDst).Get(B).Set(LSrc).I32(lazy).Set(LOp);
        // After ADC/SBB the operands alone do not give the conditions (CMP + Jcc's shortcut).
        _knownOp = kind is 2 or 3 ? null : lazy;
    }

    private void IncDec(int reg, bool dec)
    {
        // INC/DEC keep CF: take it from the flags as they stand before.
        CarryFlag();
        _c.Set(LCf);
        _c.Get(R0 + reg).Tee(LDst).I32(1).Op(dec ? WasmOp.I32Sub : WasmOp.I32Add).Tee(LRes).Set(R0 + reg);
        _c.I32(1).Set(LSrc).I32(dec ? OpDec : OpInc).Set(LOp);
        _knownOp = dec ? OpDec : OpInc;
    }

    /// <summary>Pushes EFLAGS with the arithmetic flags computed from the lazy state.</summary>
    private void MaterializedFlags() =>
        _c.Get(LOp).Get(LDst).Get(LSrc).Get(LRes).Get(LCf).Get(Flags).Call(_flagsFn);

    // ---------------------------------------------------------------- conditions

    /// <summary>Pushes whether Jcc condition cc holds (SDM vol. 1 appendix B).</summary>
    private void EmitCondition(int cc)
    {
        var c = _c;
        bool negate = (cc & 1) != 0;
        int test = cc >> 1;
        if (_knownOp == OpSub && test is 1 or 2 or 3 or 6 or 7)
        {
            // After CMP/SUB the condition is a comparison of the operands.
            c.Get(LDst).Get(LSrc);
            c.Op(CompareOp(test, negate));
            return;
        }
        if (_knownOp is uint narrow && narrow >= NarrowOp(8))
        {
            int bits = narrow >= NarrowOp(16) ? 16 : 8;
            if ((narrow & OpKindMask) == OpSub && test is 1 or 2 or 3 or 6 or 7)
            {
                // The zero-extended operands; signed conditions with their sign bit moved to bit 31.
                c.Get(LDst);
                if (test >= 6) c.I32(32 - bits).Op(WasmOp.I32Shl);
                c.Get(LSrc);
                if (test >= 6) c.I32(32 - bits).Op(WasmOp.I32Shl);
                c.Op(CompareOp(test, negate));
                return;
            }
            if (test is 2 or 4)
            {
                // ZF and SF from the masked result.
                c.Get(LRes);
                if (test == 4) c.I32(32 - bits).Op(WasmOp.I32Shl);
                c.I32(0).Op(test == 2 ? (negate ? WasmOp.I32Ne : WasmOp.I32Eq) : (negate ? WasmOp.I32GeS : WasmOp.I32LtS));
                return;
            }
        }
        if (_knownOp is OpLogic or OpSub or OpAdd or OpInc or OpDec && test is 2 or 4)
        {
            // ZF and SF come from the result alone.
            c.Get(LRes).I32(0);
            c.Op(test == 2 ? (negate ? WasmOp.I32Ne : WasmOp.I32Eq) : (negate ? WasmOp.I32GeS : WasmOp.I32LtS));
            return;
        }
        if (_narrowCompareBits != 0 && test is 1 or 2 or 3 or 6 or 7)
        {
            // A byte or word CMP just before: its zero-extended operands are in A and B; signed
            // conditions compare them with their sign bit moved to bit 31.
            int up = 32 - _narrowCompareBits;
            c.Get(A);
            if (test >= 6) c.I32(up).Op(WasmOp.I32Shl);
            c.Get(B);
            if (test >= 6) c.I32(up).Op(WasmOp.I32Shl);
            c.Op(CompareOp(test, negate));
            return;
        }
        // Flags already exact in EFLAGS (byte and word results): no call to the flags helper.
        if (_knownOp == OpNone) c.Get(Flags);
        else MaterializedFlags();
        c.Set(A);
        switch (test)
        {
            case 0: Bit(11); break;
            case 1: Bit(0); break;
            case 2: Bit(6); break;
            case 3: c.Get(A).I32(0x41).Op(WasmOp.I32And); break;
            case 4: Bit(7); break;
            case 5: Bit(2); break;
            case 6: SfNeOf(); break;
            default: SfNeOf(); c.Get(A).I32(0x40).Op(WasmOp.I32And).Op(WasmOp.I32Or); break;
        }
        c.I32(0).Op(negate ? WasmOp.I32Eq : WasmOp.I32Ne);
    }

    private void Bit(int bit) => _c.Get(A).I32(1 << bit).Op(WasmOp.I32And);

    private void SfNeOf() =>
        _c.Get(A).I32(7).Op(WasmOp.I32ShrU).Get(A).I32(11).Op(WasmOp.I32ShrU).Op(WasmOp.I32Xor).I32(1).Op(WasmOp.I32And);

    /// <summary>
    /// flags(op, dst, src, res, cf, eflags): EFLAGS with the arithmetic flags of a lazy state, as
    /// the CPU's ComputeFlags does for 32-bit operations.
    /// </summary>
    private static WasmCode FlagsHelper()
    {
        const int op = 0, d = 1, s = 2, r = 3, cf = 4, ef = 5;
        var c = new WasmCode(6);
        int f = c.AddLocal(WasmType.I32), sh = c.AddLocal(WasmType.I32);
        c.Get(op).Op(WasmOp.I32Eqz).If().Get(ef).Op(WasmOp.Return).End();
        // A byte or word op: the 32-bit formulas on the operands shifted to the top give CF, OF,
        // SF and ZF; PF (the result's low byte) and AF (bit 4) come from the unshifted values.
        c.Get(op).I32((int)NarrowOp(8)).Op(WasmOp.I32GeU).If();
        c.I32(24).I32(16).Get(op).I32((int)NarrowOp(16)).Op(WasmOp.I32LtU).Op(WasmOp.Select).Set(sh);
        c.Get(op).I32((int)OpKindMask).Op(WasmOp.I32And)
            .Get(d).Get(sh).Op(WasmOp.I32Shl).Get(s).Get(sh).Op(WasmOp.I32Shl).Get(r).Get(sh).Op(WasmOp.I32Shl)
            .Get(cf).Get(ef).Call(1)
            .I32(~0x14).Op(WasmOp.I32And)
            .Get(r).I32(0xFF).Op(WasmOp.I32And).Op(WasmOp.I32Popcnt).I32(1).Op(WasmOp.I32And).I32(1).Op(WasmOp.I32Xor)
            .I32(2).Op(WasmOp.I32Shl).Op(WasmOp.I32Or)
            .Get(d).Get(s).Op(WasmOp.I32Xor).Get(r).Op(WasmOp.I32Xor).I32(0x10).Op(WasmOp.I32And)
            .I32(0).Get(op).I32((int)OpKindMask).Op(WasmOp.I32And).I32((int)OpLogic).Op(WasmOp.I32Ne).Op(WasmOp.Select)
            .Op(WasmOp.I32Or).Op(WasmOp.Return);
        c.End();
        c.Get(ef).I32(~0x8D5).Op(WasmOp.I32And)
            .Get(r).Op(WasmOp.I32Eqz).I32(6).Op(WasmOp.I32Shl).Op(WasmOp.I32Or)
            .Get(r).I32(31).Op(WasmOp.I32ShrU).I32(7).Op(WasmOp.I32Shl).Op(WasmOp.I32Or)
            .Get(r).I32(0xFF).Op(WasmOp.I32And).Op(WasmOp.I32Popcnt).I32(1).Op(WasmOp.I32And).I32(1).Op(WasmOp.I32Xor)
            .I32(2).Op(WasmOp.I32Shl).Op(WasmOp.I32Or).Set(f);
        c.Get(op).I32(3).Op(WasmOp.I32Eq).If().Get(f).Op(WasmOp.Return).End();
        // AF for the rest.
        c.Get(f).Get(d).Get(s).Op(WasmOp.I32Xor).Get(r).Op(WasmOp.I32Xor).I32(0x10).Op(WasmOp.I32And).Op(WasmOp.I32Or).Set(f);
        // CF: Add and Sub from the carry-out formulas, Inc and Dec keep the given one.
        c.Get(op).I32(1).Op(WasmOp.I32Eq).If()
            .Get(f).Get(d).Get(s).Op(WasmOp.I32And).Get(d).Get(s).Op(WasmOp.I32Or).Get(r).I32(-1).Op(WasmOp.I32Xor).Op(WasmOp.I32And)
            .Op(WasmOp.I32Or).I32(31).Op(WasmOp.I32ShrU).Op(WasmOp.I32Or).Set(f)
            .End();
        c.Get(op).I32(2).Op(WasmOp.I32Eq).If()
            .Get(f).Get(d).I32(-1).Op(WasmOp.I32Xor).Get(s).Op(WasmOp.I32And)
            .Get(d).I32(-1).Op(WasmOp.I32Xor).Get(s).Op(WasmOp.I32Or).Get(r).Op(WasmOp.I32And)
            .Op(WasmOp.I32Or).I32(31).Op(WasmOp.I32ShrU).Op(WasmOp.I32Or).Set(f)
            .End();
        c.Get(op).I32(4).Op(WasmOp.I32GeU).If().Get(f).Get(cf).Op(WasmOp.I32Or).Set(f).End();
        // OF: Add/Inc ((d^r)&(s^r)), Sub/Dec ((d^s)&(d^r)), bit 31.
        c.Get(op).I32(1).Op(WasmOp.I32Eq).Get(op).I32(4).Op(WasmOp.I32Eq).Op(WasmOp.I32Or).If()
            .Get(f).Get(d).Get(r).Op(WasmOp.I32Xor).Get(s).Get(r).Op(WasmOp.I32Xor).Op(WasmOp.I32And)
            .I32(31).Op(WasmOp.I32ShrU).I32(11).Op(WasmOp.I32Shl).Op(WasmOp.I32Or).Set(f)
            .Else()
            .Get(f).Get(d).Get(s).Op(WasmOp.I32Xor).Get(d).Get(r).Op(WasmOp.I32Xor).Op(WasmOp.I32And)
            .I32(31).Op(WasmOp.I32ShrU).I32(11).Op(WasmOp.I32Shl).Op(WasmOp.I32Or).Set(f)
            .End();
        c.Get(f);
        return c;
    }

    /// <summary>The wasm comparison of two operands that a condition code (test = cc >> 1: B, E, BE, L, LE) asks for after a compare.</summary>
    private static WasmOp CompareOp(int test, bool negate) => (test, negate) switch
    {
        (1, false) => WasmOp.I32LtU, (1, true) => WasmOp.I32GeU,
        (2, false) => WasmOp.I32Eq, (2, true) => WasmOp.I32Ne,
        (3, false) => WasmOp.I32LeU, (3, true) => WasmOp.I32GtU,
        (6, false) => WasmOp.I32LtS, (6, true) => WasmOp.I32GeS,
        (7, false) => WasmOp.I32LeS, _ => WasmOp.I32GtS,
    };
}
