using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// The forms lowered after the first profile of Interpret exits (the boot under Wasmtime,
/// WasmBootTests): shifts and rotates (op-C1 alone was three quarters of all exits), byte moves
/// of immediates and moffs, NOT/NEG, byte TEST, CMOVcc/SETcc, XCHG, CDQ/CWDE, LEAVE, BSWAP.
/// Flags that the CPU keeps lazily in a form the mirror does not carry (shifts, byte results)
/// are computed here into EFLAGS, with the lazy state set to None: exact, and what
/// <c>X86Cpu.ExportLazyFlags</c> would have materialized anyway.
/// </summary>
public sealed partial class PageLowering
{
    private const int ArithFlags = 0x8D5, CfBit = 0x1, OfBit = 0x800;

    /// <summary>Lowers <paramref name="i"/> when it is one of these forms; false for the others.</summary>
    private bool EmitMore(Instr i, uint eip, int k)
    {
        int op = i.Op;
        var c = _c;
        if (i.O16)
        {
            if (op is 0xA5 or 0xAB) StringMove(i, eip, k);
            else if (op == 0xAD) StringLoad(i, eip, k);
            else if (op is 0xC1 or 0xD1 or 0xD3) ShiftNarrow(i, eip, k, 16);
            else if (op != 0x90 && !Alu16(i, eip, k)) Move16(i, eip, k); // 66 90: a two-byte NOP
            return true;
        }
        switch (op)
        {
            case 0xC0: case 0xD0: case 0xD2:
                ShiftNarrow(i, eip, k, 8);
                return true;
            case 0x1B1:
                CompareExchange(i, eip, k);
                return true;
            case 0x1C1:
                ExchangeAdd(i, eip, k);
                return true;
            case 0x1C7:
                CompareExchange8(i, eip, k);
                return true;
            case 0xFA:
                // CLI: allowed when CPL <= IOPL (and not in virtual-8086 mode); else the interpreter raises #GP.
                c.Get(Flags).I32(0x20000).Op(WasmOp.I32And)
                    .Get(State).Mem(WasmOp.I32Load, JitStateMirror.OffCpl, 2).Get(Flags).I32(12).Op(WasmOp.I32ShrU).I32(3).Op(WasmOp.I32And).Op(WasmOp.I32GtU)
                    .Op(WasmOp.I32Or).If();
                Exit(JitExit.Interpret, eip, k, 0xFA);
                c.End();
                c.Get(Flags).I32(~0x200).Op(WasmOp.I32And).Set(Flags);
                return true;
            case 0x1A4: case 0x1A5: case 0x1AC: case 0x1AD:
                DoubleShift(i, eip, k, left: i.Op <= 0x1A5);
                return true;
            case 0xA4: case 0xA5: case 0xAA: case 0xAB:
                StringMove(i, eip, k);
                return true;
            case 0xAC: case 0xAD:
                StringLoad(i, eip, k);
                return true;
            case 0xAE:
                StringScan(i, eip, k);
                return true;
            case 0xC1: case 0xD1: case 0xD3:
                Shift(i, eip, k);
                return true;
            case >= 0xB0 and <= 0xB7:
                SetByteReg(op & 7, () => c.I32(i.Imm & 0xFF));
                return true;
            case 0xA0:
                Probe(i, eip, k, write: false, size: 1);
                SetByteReg(0, () => c.Get(Addr).Mem(WasmOp.I32Load8U, 0, 0));
                return true;
            case 0xA1:
                Probe(i, eip, k, write: false);
                c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(R0);
                return true;
            case 0xA2:
                Probe(i, eip, k, write: true, size: 1);
                c.Get(Addr).Get(R0).Mem(WasmOp.I32Store8, 0, 0);
                return true;
            case 0xA3:
                Probe(i, eip, k, write: true);
                c.Get(Addr).Get(R0).Mem(WasmOp.I32Store, 0, 0);
                return true;
            case 0x90:
                return true;
            case >= 0x91 and <= 0x97:
                Exchange(0, op & 7);
                return true;
            case 0x87 when !i.IsMem:
                Exchange(i.Rm, i.RegField);
                return true;
            case 0x87:
                // XCHG with memory (locked on hardware; one CPU here): translated for writing first.
                Probe(i, eip, k, write: true);
                c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(T);
                c.Get(Addr).Get(R0 + i.RegField).Mem(WasmOp.I32Store, 0, 0);
                c.Get(T).Set(R0 + i.RegField);
                return true;
            case 0x98: // CWDE: EAX = sign-extended AX
                c.Get(R0).I32(16).Op(WasmOp.I32Shl).I32(16).Op(WasmOp.I32ShrS).Set(R0);
                return true;
            case 0x99: // CDQ: EDX = the sign of EAX
                c.Get(R0).I32(31).Op(WasmOp.I32ShrS).Set(R0 + 2);
                return true;
            case 0xC9:
                Leave(eip, k);
                return true;
            case >= 0x1C8 and <= 0x1CF:
                ByteSwap(R0 + (op & 7));
                return true;
            case >= 0x140 and <= 0x14F:
                ConditionalMove(i, eip, k);
                return true;
            case >= 0x190 and <= 0x19F:
                SetOnCondition(i, eip, k);
                return true;
            case 0x84:
                ByteTest(i, eip, k, () => GetByteReg(i.RegField));
                return true;
            case 0xA8:
                c.I32(i.Imm & 0xFF);
                GetByteReg(0);
                c.Op(WasmOp.I32And);
                ByteLogicFlags();
                return true;
            case 0xF6:
                ByteTest(i, eip, k, () => c.I32(i.Imm & 0xFF));
                return true;
            case 0x1AF: case 0x69: case 0x6B:
                SignedMultiply(i, eip, k);
                return true;
            case 0xFE: // INC/DEC r/m8 (CF kept)
                NarrowAlu(8, i.RegField == 1 ? 5 : 0, i, eip, k, destIsE: true, () => c.I32(1), keepCf: true);
                return true;
            case 0x1A3: case 0x1AB: case 0x1B3: case 0x1BB: case 0x1BA:
                BitTest(i, eip, k);
                return true;
            case 0xFF:
                Group5(i, eip, k);
                return true;
            case 0x80:
                NarrowAlu(8, i.RegField, i, eip, k, destIsE: true, () => c.I32(i.Imm & 0xFF));
                return true;
            case < 0x40 when (op & 7) is 0 or 2 or 4:
                if ((op & 7) == 4)
                {
                    var al = new Instr();
                    NarrowAlu(8, op >> 3, al, eip, k, destIsE: true, () => c.I32(i.Imm & 0xFF));
                }
                else
                {
                    NarrowAlu(8, op >> 3, i, eip, k, destIsE: (op & 7) == 0, null);
                }
                return true;
            case 0xF7 when i.RegField is 4 or 5 or 6:
                MultiplyDivide(i, eip, k);
                return true;
            case 0x68: case 0x6A:
                c.I32(i.Imm).Set(T);
                SegBase(2).Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Op(WasmOp.I32Add).Set(Lin);
                ProbeLin(eip, k, write: true);
                c.Get(Addr).Get(T).Mem(WasmOp.I32Store, 0, 0);
                c.Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Set(R0 + 4);
                return true;
            case 0x9C:
                // PUSHF (saving flags around cli in the kernel): EFLAGS with the arithmetic bits of
                // the lazy state, VM and RF cleared, as the CPU's; in virtual-8086 mode (not 32-bit
                // code, but checked) the interpreter decides whether it faults.
                c.Get(Flags).I32(0x20000).Op(WasmOp.I32And).If();
                Exit(JitExit.Interpret, eip, k, 0x9C);
                c.End();
                MaterializedFlags();
                c.I32(0x00FCFFFF).Op(WasmOp.I32And).Set(T);
                SegBase(2).Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Op(WasmOp.I32Add).Set(Lin);
                ProbeLin(eip, k, write: true);
                c.Get(Addr).Get(T).Mem(WasmOp.I32Store, 0, 0);
                c.Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Set(R0 + 4);
                return true;
            case 0xFC: case 0xFD: // CLD / STD: DF, bit 10
                c.Get(Flags).I32(~0x400).Op(WasmOp.I32And);
                if (op == 0xFD) c.I32(0x400).Op(WasmOp.I32Or);
                c.Set(Flags);
                return true;
            case 0xF7 when i.RegField is 2 or 3:
                NotNeg(i, eip, k, neg: i.RegField == 3);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// The 16-bit ALU forms (the kernel's 16-bit fields: <c>cmpw</c>, <c>testw</c>, <c>incw</c>):
    /// ADD/OR/AND/SUB/XOR/CMP in their ModRM, AX-immediate and group 1 forms, TEST, INC/DEC; false
    /// for the others (16-bit moves).
    /// </summary>
    private bool Alu16(Instr i, uint eip, int k)
    {
        int op = i.Op;
        var c = _c;
        int imm = i.Imm & 0xFFFF;
        var ax = new Instr();
        if (InstructionSupport.AluKind(op) is int kind)
        {
            switch (op & 7)
            {
                case 1: NarrowAlu(16, kind, i, eip, k, destIsE: true, null); break;
                case 3: NarrowAlu(16, kind, i, eip, k, destIsE: false, null); break;
                default: NarrowAlu(16, kind, ax, eip, k, destIsE: true, () => c.I32(imm)); break;
            }
            return true;
        }
        switch (op)
        {
            case 0x81: case 0x83: NarrowAlu(16, i.RegField, i, eip, k, destIsE: true, () => c.I32(imm)); return true;
            case 0x85: NarrowAlu(16, 8, i, eip, k, destIsE: true, null); return true;
            case 0xA9: NarrowAlu(16, 8, ax, eip, k, destIsE: true, () => c.I32(imm)); return true;
            case 0xF7: NarrowAlu(16, 8, i, eip, k, destIsE: true, () => c.I32(imm)); return true;
            case 0xFF: NarrowAlu(16, i.RegField == 1 ? 5 : 0, i, eip, k, destIsE: true, () => c.I32(1), keepCf: true); return true;
            case >= 0x40 and <= 0x4F:
                var r = new Instr(0, 0, 0, (byte)(0xC0 | (op & 7)), 0, 0, 0, 0, 0, 0, 0);
                NarrowAlu(16, op >= 0x48 ? 5 : 0, r, eip, k, destIsE: true, () => c.I32(1), keepCf: true);
                return true;
            default: return false;
        }
    }

    /// <summary>
    /// CMPXCHG r/m32, r32 (LOCK is the kernel's and libc's atomics; one CPU here): CMP EAX with the
    /// destination; equal: the destination takes the source, else EAX takes the destination.
    /// </summary>
    private void CompareExchange(in Instr i, uint eip, int k)
    {
        var c = _c;
        LoadRm32(i, eip, k, write: true, into: B);
        c.Get(R0).Set(A);
        Compute(7);
        c.Get(A).Get(B).Op(WasmOp.I32Eq).If();
        if (i.IsMem) c.Get(Addr).Get(R0 + i.RegField).Mem(WasmOp.I32Store, 0, 0);
        else c.Get(R0 + i.RegField).Set(R0 + i.Rm);
        c.Else();
        c.Get(B).Set(R0);
        c.End();
    }

    /// <summary>
    /// CMPXCHG8B m64: EDX:EAX equal to the quadword: it takes ECX:EBX and ZF is set; else EDX:EAX
    /// takes it and ZF is cleared. The other flags stay (materialized first).
    /// </summary>
    private void CompareExchange8(in Instr i, uint eip, int k)
    {
        var c = _c;
        Probe(i, eip, k, write: true, size: 8);
        c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(A);
        c.Get(Addr).Mem(WasmOp.I32Load, 4, 0).Set(B);
        if (_knownOp == OpNone) c.Get(Flags);
        else MaterializedFlags();
        c.I32(~0x40).Op(WasmOp.I32And).Set(Flags);
        c.I32((int)OpNone).Set(LOp);
        _knownOp = OpNone;
        c.Get(A).Get(R0).Op(WasmOp.I32Eq).Get(B).Get(R0 + 2).Op(WasmOp.I32Eq).Op(WasmOp.I32And).If();
        c.Get(Addr).Get(R0 + 3).Mem(WasmOp.I32Store, 0, 0);
        c.Get(Addr).Get(R0 + 1).Mem(WasmOp.I32Store, 4, 0);
        c.Get(Flags).I32(0x40).Op(WasmOp.I32Or).Set(Flags);
        c.Else();
        c.Get(A).Set(R0);
        c.Get(B).Set(R0 + 2);
        c.End();
    }

    /// <summary>XADD r/m32, r32 (LOCK XADD: atomic counters; one CPU here): the sum to r/m, the old r/m to r, flags of the ADD.</summary>
    private void ExchangeAdd(in Instr i, uint eip, int k)
    {
        var c = _c;
        LoadRm32(i, eip, k, write: true, into: A);
        c.Get(R0 + i.RegField).Set(B);
        Compute(0);
        if (i.IsMem) c.Get(Addr).Get(LRes).Mem(WasmOp.I32Store, 0, 0);
        // The register takes the old value first: with r/m the same register, the sum wins (as the CPU's).
        c.Get(A).Set(R0 + i.RegField);
        if (!i.IsMem) c.Get(LRes).Set(R0 + i.Rm);
    }

    /// <summary>
    /// SHLD / SHRD r/m32, r32 by an immediate or CL (64-bit shifts in libgcc and the kernel), flags
    /// as the CPU's Shld: a zero count changes nothing; else CF the last bit out of the
    /// destination, OF its sign changed, SF/ZF/PF of the result, AF 0.
    /// </summary>
    private void DoubleShift(in Instr i, uint eip, int k, bool left)
    {
        var c = _c;
        int? count = (i.Op & 1) == 0 ? i.Imm & 31 : null;
        if (i.IsMem) Probe(i, eip, k, write: true);
        if (count == 0) return;
        if (count is int n) c.I32(n).Set(N);
        else c.Get(R0 + 1).I32(31).Op(WasmOp.I32And).Tee(N).If();
        if (i.IsMem) c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(A);
        else c.Get(R0 + i.Rm).Set(A);
        // N is 1..31 here, so both shifts are by less than 32.
        c.Get(A).Get(N).Op(left ? WasmOp.I32Shl : WasmOp.I32ShrU)
            .Get(R0 + i.RegField).I32(32).Get(N).Op(WasmOp.I32Sub).Op(left ? WasmOp.I32ShrU : WasmOp.I32Shl)
            .Op(WasmOp.I32Or).Set(B);
        if (left) c.Get(A).I32(32).Get(N).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrU);
        else c.Get(A).Get(N).I32(1).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrU);
        c.I32(1).Op(WasmOp.I32And).Set(T);
        ShiftFlags(() => c.Get(B).Get(A).Op(WasmOp.I32Xor).I32(31).Op(WasmOp.I32ShrU));
        if (i.IsMem) c.Get(Addr).Get(B).Mem(WasmOp.I32Store, 0, 0);
        else c.Get(B).Set(R0 + i.Rm);
        if (count == null) c.End();
        _knownOp = null;
    }

    /// <summary>Pushes CF of the current flag state (0 or 1).</summary>
    private void CarryFlag()
    {
        var c = _c;
        // From the producer when it is known in the block: no call to the flags helper.
        // Narrow ops (operands zero-extended, the result masked) give CF by the same compares.
        switch (_knownOp is uint known && known >= NarrowOp(8) ? known & OpKindMask : _knownOp)
        {
            case OpNone: c.Get(Flags).I32(CfBit).Op(WasmOp.I32And); break;
            case OpSub: c.Get(LDst).Get(LSrc).Op(WasmOp.I32LtU); break;
            case OpAdd: c.Get(LRes).Get(LDst).Op(WasmOp.I32LtU); break;
            case OpLogic: c.I32(0); break;
            case OpInc or OpDec: c.Get(LCf); break;
            default: MaterializedFlags(); c.I32(CfBit).Op(WasmOp.I32And); break;
        }
    }

    /// <summary>
    /// Group 2 on 32 bits (ROL, ROR, SHL/SAL, SHR, SAR by 1, an immediate or CL), flags as
    /// <c>X86Cpu.Shift</c> defines them: a zero count changes nothing; a shift sets SF/ZF/PF from the
    /// result, AF 0, CF the last bit out, OF (SHL: MSB ^ CF; SHR: count 1 and the old MSB; SAR 0);
    /// a rotate changes CF and OF only.
    /// </summary>
    private void Shift(in Instr i, uint eip, int k)
    {
        var c = _c;
        int kind = i.RegField;
        int? count = i.Op switch { 0xC1 => i.Imm & 31, 0xD1 => 1, _ => null };
        // Translated first (a miss exits before anything changed), even for a zero count.
        if (i.IsMem) Probe(i, eip, k, write: true);
        if (count == 0) return;
        if (count is int n) c.I32(n).Set(N);
        else c.Get(R0 + 1).I32(31).Op(WasmOp.I32And).Tee(N).If();
        if (i.IsMem) c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(A);
        else c.Get(R0 + i.Rm).Set(A);
        switch (kind)
        {
            case 0: // ROL: CF = bit 0 of the result, OF = MSB ^ CF
                c.Get(A).Get(N).Op(WasmOp.I32Rotl).Tee(B).I32(1).Op(WasmOp.I32And).Set(T);
                RotateFlags(() => c.Get(B).I32(31).Op(WasmOp.I32ShrU).Get(T).Op(WasmOp.I32Xor));
                break;
            case 1: // ROR: CF = MSB, OF = the two top bits differ
                c.Get(A).Get(N).Op(WasmOp.I32Rotr).Tee(B).I32(31).Op(WasmOp.I32ShrU).Set(T);
                RotateFlags(() => c.Get(B).Get(B).I32(1).Op(WasmOp.I32Shl).Op(WasmOp.I32Xor).I32(31).Op(WasmOp.I32ShrU));
                break;
            case 5: // SHR
                c.Get(A).Get(N).Op(WasmOp.I32ShrU).Set(B);
                c.Get(A).Get(N).I32(1).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrU).I32(1).Op(WasmOp.I32And).Set(T);
                ShiftFlags(() => c.Get(N).I32(1).Op(WasmOp.I32Eq).Get(A).I32(31).Op(WasmOp.I32ShrU).Op(WasmOp.I32And));
                break;
            case 7: // SAR
                c.Get(A).Get(N).Op(WasmOp.I32ShrS).Set(B);
                c.Get(A).Get(N).I32(1).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrS).I32(1).Op(WasmOp.I32And).Set(T);
                ShiftFlags(() => c.I32(0));
                break;
            default: // SHL/SAL (4, 6)
                c.Get(A).Get(N).Op(WasmOp.I32Shl).Set(B);
                c.Get(A).I32(32).Get(N).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrU).I32(1).Op(WasmOp.I32And).Set(T);
                ShiftFlags(() => c.Get(B).I32(31).Op(WasmOp.I32ShrU).Get(T).Op(WasmOp.I32Xor));
                break;
        }
        if (i.IsMem) c.Get(Addr).Get(B).Mem(WasmOp.I32Store, 0, 0);
        else c.Get(B).Set(R0 + i.Rm);
        if (count == null) c.End();
        // With CL the flags may be the old lazy state or the shift's: unknown to the conditions.
        _knownOp = null;
    }

    /// <summary>Flags = SF/ZF/PF of B, CF = T, OF = the pushed bit; the lazy state becomes None.</summary>
    private void ShiftFlags(Action overflowBit)
    {
        var c = _c;
        c.Get(Flags).I32(~ArithFlags).Op(WasmOp.I32And);
        ResultFlags(B);
        c.Op(WasmOp.I32Or).Get(T).Op(WasmOp.I32Or);
        overflowBit();
        c.I32(11).Op(WasmOp.I32Shl).Op(WasmOp.I32Or).Set(Flags);
        c.I32((int)OpNone).Set(LOp);
    }

    /// <summary>Flags = the current ones with CF = T and OF = the pushed bit; the lazy state becomes None.</summary>
    private void RotateFlags(Action overflowBit)
    {
        var c = _c;
        MaterializedFlags();
        c.I32(~(CfBit | OfBit)).Op(WasmOp.I32And).Get(T).Op(WasmOp.I32Or);
        overflowBit();
        c.I32(11).Op(WasmOp.I32Shl).Op(WasmOp.I32Or).Set(Flags);
        c.I32((int)OpNone).Set(LOp);
    }

    /// <summary>Pushes ZF | SF | PF of the 32-bit value in <paramref name="local"/>.</summary>
    private void ResultFlags(int local)
    {
        var c = _c;
        c.Get(local).Op(WasmOp.I32Eqz).I32(6).Op(WasmOp.I32Shl)
            .Get(local).I32(31).Op(WasmOp.I32ShrU).I32(7).Op(WasmOp.I32Shl).Op(WasmOp.I32Or);
        Parity(local);
        c.Op(WasmOp.I32Or);
    }

    /// <summary>Pushes PF (bit 2) of the low byte of <paramref name="local"/>: set when its bit count is even.</summary>
    private void Parity(int local) =>
        _c.Get(local).I32(0xFF).Op(WasmOp.I32And).Op(WasmOp.I32Popcnt).I32(1).Op(WasmOp.I32And).I32(1).Op(WasmOp.I32Xor)
            .I32(2).Op(WasmOp.I32Shl);

    /// <summary>TEST r/m8 with the pushed byte: SF/ZF/PF of the byte AND, CF = OF = AF = 0.</summary>
    private void ByteTest(in Instr i, uint eip, int k, Action other)
    {
        if (i.IsMem)
        {
            Probe(i, eip, k, write: false, size: 1);
            _c.Get(Addr).Mem(WasmOp.I32Load8U, 0, 0);
        }
        else
        {
            GetByteReg(i.Rm);
        }
        other();
        _c.Op(WasmOp.I32And);
        ByteLogicFlags();
    }

    /// <summary>Flags of a byte logic result (pushed): ZF, SF (bit 7), PF; the other arithmetic flags 0.</summary>
    private void ByteLogicFlags()
    {
        var c = _c;
        c.Set(B);
        c.Get(Flags).I32(~ArithFlags).Op(WasmOp.I32And)
            .Get(B).Op(WasmOp.I32Eqz).I32(6).Op(WasmOp.I32Shl).Op(WasmOp.I32Or)
            .Get(B).I32(0x80).Op(WasmOp.I32And).Op(WasmOp.I32Or);
        Parity(B);
        c.Op(WasmOp.I32Or).Set(Flags);
        c.I32((int)OpNone).Set(LOp);
        _knownOp = OpNone;
    }

    /// <summary>NOT (no flags) and NEG (SUB from 0: the CPU's lazy Sub of 0 and the operand).</summary>
    private void NotNeg(in Instr i, uint eip, int k, bool neg)
    {
        var c = _c;
        LoadRm32(i, eip, k, write: true, into: B);
        if (neg)
        {
            c.I32(0).Set(A);
            Compute(5);
        }
        else
        {
            c.Get(B).I32(-1).Op(WasmOp.I32Xor).Set(B);
        }
        int result = neg ? LRes : B;
        if (i.IsMem) c.Get(Addr).Get(result).Mem(WasmOp.I32Store, 0, 0);
        else c.Get(result).Set(R0 + i.Rm);
    }

    private void Exchange(int a, int b)
    {
        if (a == b) return;
        _c.Get(R0 + a).Set(A).Get(R0 + b).Set(R0 + a).Get(A).Set(R0 + b);
    }

    /// <summary>LEAVE: ESP = EBP, then POP EBP (translated first: a miss leaves all of it to the interpreter).</summary>
    private void Leave(uint eip, int k)
    {
        var c = _c;
        SegBase(2).Get(R0 + 5).Op(WasmOp.I32Add).Set(Lin);
        ProbeLin(eip, k, write: false);
        c.Get(R0 + 5).I32(4).Op(WasmOp.I32Add).Set(R0 + 4);
        c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(R0 + 5);
    }

    private void ByteSwap(int reg)
    {
        var c = _c;
        // rotr(x & 0x00FF00FF, 8) | rotl(x & 0xFF00FF00, 8)
        c.Get(reg).I32(0x00FF00FF).Op(WasmOp.I32And).I32(8).Op(WasmOp.I32Rotr)
            .Get(reg).I32(unchecked((int)0xFF00FF00)).Op(WasmOp.I32And).I32(8).Op(WasmOp.I32Rotl)
            .Op(WasmOp.I32Or).Set(reg);
    }

    /// <summary>CMOVcc r32, r/m32: the source is read whatever the condition (as the CPU does), then moved if it holds.</summary>
    private void ConditionalMove(in Instr i, uint eip, int k)
    {
        var c = _c;
        LoadRm32(i, eip, k, write: false, into: T);
        EmitCondition(i.Op & 15);
        c.If().Get(T).Set(R0 + i.RegField).End();
    }

    /// <summary>SETcc r/m8.</summary>
    private void SetOnCondition(in Instr i, uint eip, int k)
    {
        var c = _c;
        if (i.IsMem) Probe(i, eip, k, write: true, size: 1);
        EmitCondition(i.Op & 15);
        c.Set(T);
        if (i.IsMem) c.Get(Addr).Get(T).Mem(WasmOp.I32Store8, 0, 0);
        else SetByteReg(i.Rm, () => c.Get(T));
    }

    /// <summary>
    /// IMUL r32, r/m32 (and with an immediate): the low 32 bits of the signed product; CF = OF =
    /// the product does not fit, SF/ZF/PF of the result, AF 0 (the CPU's SetFlagsResult).
    /// </summary>
    private void SignedMultiply(in Instr i, uint eip, int k)
    {
        var c = _c;
        LoadRm32(i, eip, k, write: false, into: A);
        if (i.Op == 0x1AF) c.Get(R0 + i.RegField).Set(B);
        else c.I32(i.Imm).Set(B);
        c.Get(A).Get(B).Op(WasmOp.I32Mul).Set(N);
        c.Get(A).Op(WasmOp.I64ExtendI32S).Get(B).Op(WasmOp.I64ExtendI32S).Op(WasmOp.I64Mul)
            .Get(N).Op(WasmOp.I64ExtendI32S).Op(WasmOp.I64Ne).Set(T);
        c.Get(N).Set(B);
        ShiftFlags(() => c.Get(T));
        c.Get(N).Set(R0 + i.RegField);
        _knownOp = null;
    }

    /// <summary>Group 5's INC/DEC r/m32 and PUSH r/m32 (CALL/JMP end blocks: <see cref="IndirectTransfer"/>).</summary>
    private void Group5(in Instr i, uint eip, int k)
    {
        var c = _c;
        if (i.RegField == 6)
        {
            // The operand is read before the stack is probed: a miss on either leaves it all to the interpreter.
            LoadRm32(i, eip, k, write: false, into: T);
            SegBase(2).Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Op(WasmOp.I32Add).Set(Lin);
            ProbeLin(eip, k, write: true);
            c.Get(Addr).Get(T).Mem(WasmOp.I32Store, 0, 0);
            c.Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Set(R0 + 4);
            return;
        }
        bool dec = i.RegField == 1;
        if (!i.IsMem)
        {
            IncDec(i.Rm, dec);
            return;
        }
        Probe(i, eip, k, write: true);
        CarryFlag();
        c.Set(LCf);
        c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Tee(LDst).I32(1).Op(dec ? WasmOp.I32Sub : WasmOp.I32Add).Set(LRes);
        c.Get(Addr).Get(LRes).Mem(WasmOp.I32Store, 0, 0);
        c.I32(1).Set(LSrc).I32(dec ? OpDec : OpInc).Set(LOp);
        _knownOp = dec ? OpDec : OpInc;
    }

    /// <summary>
    /// Ends a block with CALL or JMP through r/m32: the target is read (and for CALL the return
    /// address pushed) here, then the code exits with EIP = the target; the run loop finds its block.
    /// </summary>
    private void IndirectTransfer(GuestBlock b, int n)
    {
        var c = _c;
        Instr i = b.Transfer;
        if (i.IsMem)
        {
            Probe(i, b.TransferEip, n - 1, write: false);
            c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(T);
        }
        else
        {
            c.Get(R0 + i.Rm).Set(T);
        }
        if (i.RegField == 2)
        {
            SegBase(2).Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Op(WasmOp.I32Add).Set(Lin);
            ProbeLin(b.TransferEip, n - 1, write: true);
            c.Get(Addr).Get(LinPage).I32(b.FallThrough).Op(WasmOp.I32Add).Mem(WasmOp.I32Store, 0, 0);
            c.Get(R0 + 4).I32(4).Op(WasmOp.I32Sub).Set(R0 + 4);
        }
        BranchTo(T, n);
    }

    /// <summary>
    /// A byte or 16-bit ALU op (kind 0 ADD, 1 OR, 4 AND, 5 SUB, 6 XOR, 7 CMP, 8 TEST) on r/m (a
    /// default Instr: AL or AX) and r or the pushed immediate; flags computed into EFLAGS as the
    /// CPU's lazy 8- or 16-bit state would give them. <paramref name="keepCf"/>: INC/DEC (ADD/SUB
    /// of 1 that leave CF as it was).
    /// </summary>
    private void NarrowAlu(int bits, int kind, Instr i, uint eip, int k, bool destIsE, Action? src, bool keepCf = false)
    {
        var c = _c;
        bool writes = kind is not (7 or 8);
        bool reg = !i.IsMem;
        int rm = i.Rm, mask = (1 << bits) - 1;
        if (i.IsMem) Probe(i, eip, k, write: destIsE && writes, size: bits / 8);
        // The destination's value in A, the source's in B.
        void ReadReg(int r)
        {
            if (bits == 8) GetByteReg(r);
            else c.Get(R0 + r).I32(mask).Op(WasmOp.I32And);
        }
        Action readE = () => { if (reg) ReadReg(rm); else c.Get(Addr).Mem(bits == 8 ? WasmOp.I32Load8U : WasmOp.I32Load16U, 0, 0); };
        Action readG = () => ReadReg(i.RegField);
        if (destIsE) { readE(); c.Set(A); (src ?? readG)(); c.Set(B); }
        else { readG(); c.Set(A); readE(); c.Set(B); }
        if (keepCf)
        {
            CarryFlag();
            c.Set(LCf);
        }
        NarrowFlags(bits, kind, keepCf);
        if (!writes) return;
        void WriteReg(int r)
        {
            if (bits == 8) SetByteReg(r, () => c.Get(T));
            else c.Get(R0 + r).I32(unchecked((int)0xFFFF0000)).Op(WasmOp.I32And).Get(T).Op(WasmOp.I32Or).Set(R0 + r);
        }
        if (!destIsE) WriteReg(i.RegField);
        else if (reg) WriteReg(rm);
        else c.Get(Addr).Get(T).Mem(bits == 8 ? WasmOp.I32Store8 : WasmOp.I32Store16, 0, 0);
    }

    /// <summary>
    /// T = A op B on <paramref name="bits"/> bits (kind as <see cref="NarrowAlu"/>), its flags kept
    /// lazily: the operands and the result in the lazy locals with a narrow op (<see cref="NarrowOp"/>),
    /// so a byte CMP before a Jcc costs one compare, and the flags are computed only where read (the
    /// flags helper, the exit sequence). Computing them eagerly (PF, AF, OF: ~30 wasm instructions)
    /// was most of the cost of gzip's byte compares in longest_match.
    /// </summary>
    private void NarrowFlags(int bits, int kind, bool keepCf)
    {
        var c = _c;
        int mask = (1 << bits) - 1;
        c.Get(A).Get(B);
        c.Op(kind switch { 0 => WasmOp.I32Add, 1 => WasmOp.I32Or, 4 or 8 => WasmOp.I32And, 6 => WasmOp.I32Xor, _ => WasmOp.I32Sub });
        c.I32(mask).Op(WasmOp.I32And).Set(T);
        uint op = kind switch { 0 => keepCf ? OpInc : OpAdd, 5 or 7 => keepCf ? OpDec : OpSub, _ => OpLogic };
        op |= NarrowOp(bits);
        c.Get(A).Set(LDst).Get(B).Set(LSrc).Get(T).Set(LRes).I32((int)op).Set(LOp);
        _knownOp = op;
        // A compare's operands stay in A and B for a Jcc right after it (EmitCondition).
        if (kind is 5 or 7 && !keepCf) _narrowCompareBits = bits;
    }

    /// <summary>MOV r/m16, r16 (89), r16, r/m16 (8B) and r/m16, imm16 (C7 /0): a register keeps its upper half.</summary>
    private void Move16(in Instr i, uint eip, int k)
    {
        var c = _c;
        int regField = i.RegField, rm = i.Rm;
        void SetLow(int reg, Action value)
        {
            c.Get(R0 + reg).I32(unchecked((int)0xFFFF0000)).Op(WasmOp.I32And);
            value();
            c.I32(0xFFFF).Op(WasmOp.I32And).Op(WasmOp.I32Or).Set(R0 + reg);
        }
        switch (i.Op)
        {
            case 0x89:
                if (!i.IsMem) { SetLow(rm, () => c.Get(R0 + regField)); return; }
                Probe(i, eip, k, write: true, size: 2);
                c.Get(Addr).Get(R0 + regField).Mem(WasmOp.I32Store16, 0, 0);
                return;
            case 0x8B:
                if (!i.IsMem) { SetLow(regField, () => c.Get(R0 + rm)); return; }
                Probe(i, eip, k, write: false, size: 2);
                SetLow(regField, () => c.Get(Addr).Mem(WasmOp.I32Load16U, 0, 0));
                return;
            default: // 0xC7
                int imm = i.Imm & 0xFFFF;
                if (!i.IsMem) { SetLow(rm, () => c.I32(imm)); return; }
                Probe(i, eip, k, write: true, size: 2);
                c.Get(Addr).I32(imm).Mem(WasmOp.I32Store16, 0, 0);
                return;
        }
    }

    /// <summary>
    /// Group 2 on 16 or 8 bits (ROL, ROR, SHL, SHR, SAR; <c>rolw $8</c> is the kernel's byte swap of
    /// 16-bit fields, byte shifts by 1 are in gzip's bit packing), flags as <c>X86Cpu.Shift</c>
    /// computes them for those sizes: counts are masked to 5 bits (so up to 31, past the operand's
    /// width), rotates by count mod the width but still set CF/OF. Byte registers 4-7 are AH..BH.
    /// </summary>
    private void ShiftNarrow(in Instr i, uint eip, int k, int bits)
    {
        var c = _c;
        int kind = i.RegField;
        int msb = bits - 1, mask = (1 << bits) - 1;
        int? count = i.Op switch { 0xC0 or 0xC1 => i.Imm & 31, 0xD0 or 0xD1 => 1, _ => null };
        if (i.IsMem) Probe(i, eip, k, write: true, size: bits / 8);
        if (count == 0) return;
        if (count is int n) c.I32(n).Set(N);
        else c.Get(R0 + 1).I32(31).Op(WasmOp.I32And).Tee(N).If();
        if (i.IsMem) c.Get(Addr).Mem(bits == 8 ? WasmOp.I32Load8U : WasmOp.I32Load16U, 0, 0).Set(A);
        else if (bits == 8) { GetByteReg(i.Rm); c.Set(A); }
        else c.Get(R0 + i.Rm).I32(mask).Op(WasmOp.I32And).Set(A);
        switch (kind)
        {
            case 0: // ROL by count mod width: CF = bit 0, OF = MSB ^ CF
                c.Get(A).Get(N).I32(msb).Op(WasmOp.I32And).Tee(T).Op(WasmOp.I32Shl)
                    .Get(A).I32(bits).Get(T).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrU).Op(WasmOp.I32Or).I32(mask).Op(WasmOp.I32And).Tee(B)
                    .I32(1).Op(WasmOp.I32And).Set(T);
                RotateFlags(() => c.Get(B).I32(msb).Op(WasmOp.I32ShrU).Get(T).Op(WasmOp.I32Xor));
                break;
            case 1: // ROR: CF = MSB, OF = the two top bits differ
                c.Get(A).Get(N).I32(msb).Op(WasmOp.I32And).Tee(T).Op(WasmOp.I32ShrU)
                    .Get(A).I32(bits).Get(T).Op(WasmOp.I32Sub).Op(WasmOp.I32Shl).Op(WasmOp.I32Or).I32(mask).Op(WasmOp.I32And).Tee(B)
                    .I32(msb).Op(WasmOp.I32ShrU).Set(T);
                RotateFlags(() => c.Get(B).Get(B).I32(1).Op(WasmOp.I32Shl).Op(WasmOp.I32Xor).I32(msb).Op(WasmOp.I32ShrU).I32(1).Op(WasmOp.I32And));
                break;
            case 5: // SHR
                c.Get(A).Get(N).Op(WasmOp.I32ShrU).Set(B);
                c.Get(A).Get(N).I32(1).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrU).I32(1).Op(WasmOp.I32And).Set(T);
                NarrowShiftFlags(bits, () => c.Get(N).I32(1).Op(WasmOp.I32Eq).Get(A).I32(msb).Op(WasmOp.I32ShrU).Op(WasmOp.I32And));
                break;
            case 7: // SAR: the count saturates at width - 1
                c.Get(A).I32(32 - bits).Op(WasmOp.I32Shl).I32(32 - bits).Op(WasmOp.I32ShrS).Set(A);
                c.Get(A).Get(N).I32(msb).Get(N).I32(msb).Op(WasmOp.I32LtU).Op(WasmOp.Select).Op(WasmOp.I32ShrS).I32(mask).Op(WasmOp.I32And).Set(B);
                c.Get(A).Get(N).I32(1).Op(WasmOp.I32Sub).I32(msb).Get(N).I32(bits).Op(WasmOp.I32LtU).Op(WasmOp.Select).Op(WasmOp.I32ShrS).I32(1).Op(WasmOp.I32And).Set(T);
                NarrowShiftFlags(bits, () => c.I32(0));
                break;
            default: // SHL/SAL: CF is the last bit out (none past the width)
                c.Get(A).Get(N).Op(WasmOp.I32Shl).I32(mask).Op(WasmOp.I32And).Set(B);
                c.Get(A).I32(bits).Get(N).Op(WasmOp.I32Sub).Op(WasmOp.I32ShrU).I32(1).Op(WasmOp.I32And)
                    .I32(0).Get(N).I32(bits).Op(WasmOp.I32LeU).Op(WasmOp.Select).Set(T);
                NarrowShiftFlags(bits, () => c.Get(B).I32(msb).Op(WasmOp.I32ShrU).Get(T).Op(WasmOp.I32Xor));
                break;
        }
        if (i.IsMem) c.Get(Addr).Get(B).Mem(bits == 8 ? WasmOp.I32Store8 : WasmOp.I32Store16, 0, 0);
        else if (bits == 8) SetByteReg(i.Rm, () => c.Get(B));
        else c.Get(R0 + i.Rm).I32(unchecked((int)0xFFFF0000)).Op(WasmOp.I32And).Get(B).Op(WasmOp.I32Or).Set(R0 + i.Rm);
        if (count == null) c.End();
        _knownOp = null;
    }

    /// <summary>As <see cref="ShiftFlags"/> for a 16- or 8-bit result in B.</summary>
    private void NarrowShiftFlags(int bits, Action overflowBit)
    {
        var c = _c;
        c.Get(Flags).I32(~ArithFlags).Op(WasmOp.I32And)
            .Get(B).Op(WasmOp.I32Eqz).I32(6).Op(WasmOp.I32Shl).Op(WasmOp.I32Or)
            .Get(B).I32(bits - 1).Op(WasmOp.I32ShrU).I32(7).Op(WasmOp.I32Shl).Op(WasmOp.I32Or);
        Parity(B);
        c.Op(WasmOp.I32Or).Get(T).Op(WasmOp.I32Or);
        overflowBit();
        c.I32(11).Op(WasmOp.I32Shl).Op(WasmOp.I32Or).Set(Flags);
        c.I32((int)OpNone).Set(LOp);
    }

    /// <summary>
    /// MUL / IMUL r/m32 (EDX:EAX = EAX · operand; CF = OF = the high half is needed, SF/ZF/PF of
    /// EAX) and DIV r/m32 (flags kept). A division that would fault (by zero, or a quotient past 32
    /// bits) exits first, so the interpreter raises #DE exactly.
    /// </summary>
    private void MultiplyDivide(in Instr i, uint eip, int k)
    {
        var c = _c;
        LoadRm32(i, eip, k, write: false, into: A);
        if (i.RegField == 6)
        {
            // The quotient fits in 32 bits exactly when EDX < the divisor (which also rules out 0).
            c.Get(R0 + 2).Get(A).Op(WasmOp.I32GeU).If();
            Exit(JitExit.Interpret, eip, k, 0xF7);
            c.End();
            DividendTo64();
            c.Get(A).Op(WasmOp.I64ExtendI32U).Op(WasmOp.I64DivU).Op(WasmOp.I32WrapI64).Set(B);
            DividendTo64();
            c.Get(A).Op(WasmOp.I64ExtendI32U).Op(WasmOp.I64RemU).Op(WasmOp.I32WrapI64).Set(R0 + 2);
            c.Get(B).Set(R0);
            return;
        }
        bool signed = i.RegField == 5;
        var extend = signed ? WasmOp.I64ExtendI32S : WasmOp.I64ExtendI32U;
        c.Get(R0).Op(extend).Get(A).Op(extend).Op(WasmOp.I64Mul).Tee(Wide).Op(WasmOp.I32WrapI64).Tee(B).Set(R0);
        c.Get(Wide).I64(32).Op(WasmOp.I64ShrU).Op(WasmOp.I32WrapI64).Set(R0 + 2);
        // T = the product does not fit in EAX (unsigned: EDX != 0; signed: EDX is not EAX's sign).
        if (signed) c.Get(R0 + 2).Get(B).I32(31).Op(WasmOp.I32ShrS).Op(WasmOp.I32Ne).Set(T);
        else c.Get(R0 + 2).I32(0).Op(WasmOp.I32Ne).Set(T);
        ShiftFlags(() => c.Get(T));
        _knownOp = null;
    }

    /// <summary>Pushes EDX:EAX as an i64.</summary>
    private void DividendTo64() =>
        _c.Get(R0 + 2).Op(WasmOp.I64ExtendI32U).I64(32).Op(WasmOp.I64Shl).Get(R0).Op(WasmOp.I64ExtendI32U).Op(WasmOp.I64Or);

    /// <summary>
    /// BT/BTS/BTR/BTC r/m32 with a register (0F A3/AB/B3/BB) or an immediate (0F BA /4-7) bit
    /// offset (the kernel's bitmaps): CF = the bit, the other flags as they stand (the CPU's
    /// SetFlag), the bit then set, cleared or flipped. With memory and a register offset the
    /// offset is signed and picks the dword (SDM vol. 2, BT: bit string addressing).
    /// </summary>
    private void BitTest(in Instr i, uint eip, int k)
    {
        var c = _c;
        int kind = i.Op == 0x1BA ? i.RegField - 4 : i.Op switch { 0x1A3 => 0, 0x1AB => 1, 0x1B3 => 2, _ => 3 };
        bool regOffset = i.Op != 0x1BA;
        // N: the bit number; A: the dword.
        if (regOffset) c.Get(R0 + i.RegField).I32(31).Op(WasmOp.I32And).Set(N);
        else c.I32(i.Imm & 31).Set(N);
        if (i.IsMem)
        {
            LinearAddress(i);
            if (regOffset) c.Get(Lin).Get(R0 + i.RegField).I32(5).Op(WasmOp.I32ShrS).I32(2).Op(WasmOp.I32Shl).Op(WasmOp.I32Add).Set(Lin);
            ProbeLin(eip, k, write: kind != 0);
            c.Get(Addr).Mem(WasmOp.I32Load, 0, 0).Set(A);
        }
        else
        {
            c.Get(R0 + i.Rm).Set(A);
        }
        if (_knownOp == OpNone) c.Get(Flags);
        else MaterializedFlags();
        c.I32(~CfBit).Op(WasmOp.I32And).Get(A).Get(N).Op(WasmOp.I32ShrU).I32(1).Op(WasmOp.I32And).Op(WasmOp.I32Or).Set(Flags);
        c.I32((int)OpNone).Set(LOp);
        _knownOp = OpNone;
        if (kind == 0) return;
        c.I32(1).Get(N).Op(WasmOp.I32Shl).Set(B);
        c.Get(A).Get(B);
        switch (kind)
        {
            case 1: c.Op(WasmOp.I32Or); break;
            case 2: c.I32(-1).Op(WasmOp.I32Xor).Op(WasmOp.I32And); break;
            default: c.Op(WasmOp.I32Xor); break;
        }
        c.Set(A);
        if (i.IsMem) c.Get(Addr).Get(A).Mem(WasmOp.I32Store, 0, 0);
        else c.Get(A).Set(R0 + i.Rm);
    }
}
