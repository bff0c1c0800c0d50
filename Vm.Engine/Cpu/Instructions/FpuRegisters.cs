using Vm.Engine.Cpu.Float;

namespace Vm.Engine.Cpu;

/// <summary>x87 instructions on registers: arithmetic, compares, moves, FCMOVcc, FXCH and the control forms.</summary>
public sealed unsafe partial class X86Cpu
{
    private void FpuReg(int esc, int reg, int rm)
    {
        switch (esc)
        {
            case 0:
                if (reg == 2 || reg == 3) { CompareRegisters(rm, false); if (reg == 3) FPop(); }
                else ArithRegisters(reg, 0, 0, rm);
                break;
            case 1: FpuD9(reg, rm); break;
            case 2:
                switch (reg)
                {
                    case 0: FCmov(GetCF(), rm); break;
                    case 1: FCmov(GetZF(), rm); break;
                    case 2: FCmov(GetCF() || GetZF(), rm); break;
                    case 3: FCmov(GetPF(), rm); break;
                    case 5 when rm == 1: CompareRegisters(1, true); FPop(); FPop(); break; // FUCOMPP
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 3:
                switch (reg)
                {
                    case 0: FCmov(!GetCF(), rm); break;
                    case 1: FCmov(!GetZF(), rm); break;
                    case 2: FCmov(!GetCF() && !GetZF(), rm); break;
                    case 3: FCmov(!GetPF(), rm); break;
                    case 4:
                        if (rm == 2) _fsw &= 0x7F00; // FNCLEX
                        else if (rm == 3) FpuInit(); // FNINIT
                        else if (rm is 0 or 1 or 4) { } // FENI/FDISI/FSETPM: no-ops on P6
                        else throw new CpuFault(Vec.UD);
                        break;
                    case 5: CompareEflags(rm, true); break; // FUCOMI
                    case 6: CompareEflags(rm, false); break; // FCOMI
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 4:
                // DC: the result goes to ST(i); in this encoding reg 4/6 compute ST(0) − ST(i), ST(0) ÷ ST(i).
                if (reg == 2 || reg == 3) { CompareRegisters(rm, false); if (reg == 3) FPop(); }
                else ArithRegisters(reg, rm, 0, rm);
                break;
            case 5:
                switch (reg)
                {
                    case 0: _fempty |= (byte)(1 << ((_top + rm) & 7)); break; // FFREE
                    case 1: Fxch(rm); break;
                    case 2: StoreRegister(rm, false); break;
                    case 3: StoreRegister(rm, true); break;
                    case 4: CompareRegisters(rm, true); break; // FUCOM
                    case 5: CompareRegisters(rm, true); FPop(); break; // FUCOMP
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 6:
                switch (reg)
                {
                    case 2: CompareRegisters(rm, false); FPop(); break;
                    case 3:
                        if (rm != 1) throw new CpuFault(Vec.UD);
                        CompareRegisters(1, false); FPop(); FPop(); // FCOMPP
                        break;
                    default: ArithRegisters(reg, rm, 0, rm); FPop(); break;
                }
                break;
            default:
                switch (reg)
                {
                    case 0: _fempty |= (byte)(1 << ((_top + rm) & 7)); FPop(); break; // FFREEP
                    case 1: Fxch(rm); break;
                    case 2: case 3: StoreRegister(rm, true); break;
                    case 4:
                        if (rm != 0) throw new CpuFault(Vec.UD);
                        SetReg(0, 1, Fsw); // FNSTSW AX
                        break;
                    case 5: CompareEflags(rm, true); FPop(); break; // FUCOMIP
                    case 6: CompareEflags(rm, false); FPop(); break; // FCOMIP
                    default: throw new CpuFault(Vec.UD);
                }
                break;
        }
    }

    /// <summary>dst = ST(a) op ST(b); an empty operand stores the indefinite.</summary>
    private void ArithRegisters(int op, int dst, int a, int b)
    {
        if (Underflow(a, b)) { SetST(dst, Float80.Indefinite); return; }
        Arith(op, dst, ST(a), ST(b));
    }

    private void FCmov(bool condition, int rm)
    {
        if (Underflow(0, rm)) { SetST(0, Float80.Indefinite); return; }
        _fsw &= unchecked((ushort)~C1);
        if (condition) SetST(0, ST(rm));
    }

    private void Fxch(int rm)
    {
        if (Underflow(0, rm))
        {
            if (IsEmpty(0)) SetST(0, Float80.Indefinite);
            if (IsEmpty(rm)) SetST(rm, Float80.Indefinite);
        }
        else _fsw &= unchecked((ushort)~C1);
        (ST(0), ST(rm)) = (ST(rm), ST(0));
    }

    /// <summary>FST/FSTP ST(i): a register-to-register copy, no rounding.</summary>
    private void StoreRegister(int rm, bool pop)
    {
        if (Underflow(0)) SetST(rm, Float80.Indefinite);
        else { _fsw &= unchecked((ushort)~C1); SetST(rm, ST(0)); }
        if (pop) FPop();
    }

    private void FpuD9(int reg, int rm)
    {
        switch (reg)
        {
            case 0:
            {
                var v = Underflow(rm) ? Float80.Indefinite : ST(rm);
                FPush(v);
                return;
            }
            case 1: Fxch(rm); return;
            case 2: if (rm == 0) return; break; // FNOP
            case 3: StoreRegister(rm, true); return; // FSTP1 alias
            case 4:
                switch (rm)
                {
                    case 0: case 1:
                        if (Underflow(0)) { SetST(0, Float80.Indefinite); return; }
                        _fsw &= unchecked((ushort)~C1);
                        SetST(0, rm == 0 ? ST(0).Negate() : ST(0).Abs()); // FCHS, FABS
                        return;
                    case 4: // FTST
                        if (Underflow(0)) SetConditionCodes(C0 | C2 | C3);
                        else Compare(ST(0), Float80.Zero(false), false);
                        return;
                    case 5: Fxam(); return;
                }
                break;
            case 5:
                if (rm == 7) break;
                FPush(Constant(rm));
                return;
            case 6:
                switch (rm)
                {
                    case 0: Transcendental1(TwoToXMinusOne); return; // F2XM1
                    case 1: Transcendental2((y, x) => y * Math.Log2(x)); return; // FYL2X
                    case 2: Fptan(); return;
                    case 3: Transcendental2((y, x) => Math.Atan2(y, x)); return; // FPATAN
                    case 4: Fxtract(); return;
                    case 5: FpRem(true); return;
                    case 6: _top = (_top - 1) & 7; _fsw &= unchecked((ushort)~C1); return; // FDECSTP
                    case 7: _top = (_top + 1) & 7; _fsw &= unchecked((ushort)~C1); return; // FINCSTP
                }
                break;
            case 7:
                switch (rm)
                {
                    case 0: FpRem(false); return;
                    case 1: Transcendental2((y, x) => y * LogOnePlus(x) / Math.Log(2)); return; // FYL2XP1
                    case 2: Unary(static (Float80 a, ref FpuEnv e) => SoftFloat80.Sqrt(a, ref e)); return;
                    case 3: Fsincos(); return;
                    case 4: Unary(static (Float80 a, ref FpuEnv e) => SoftFloat80.RoundToInt(a, ref e)); return;
                    case 5:
                    {
                        if (Underflow(0, 1)) { SetST(0, Float80.Indefinite); return; }
                        var env = Env();
                        var r = SoftFloat80.Scale(ST(0), ST(1), ref env);
                        Commit(env);
                        SetST(0, r);
                        return;
                    }
                    case 6: Transcendental1(Math.Sin, trig: true); return;
                    case 7: Transcendental1(Math.Cos, trig: true); return;
                }
                break;
        }
        throw new CpuFault(Vec.UD);
    }

    private delegate Float80 UnaryOp(Float80 a, ref FpuEnv env);

    private void Unary(UnaryOp op)
    {
        if (Underflow(0)) { SetST(0, Float80.Indefinite); return; }
        var env = Env();
        var r = op(ST(0), ref env);
        Commit(env);
        SetST(0, r);
    }

    /// <summary>The FXAM classes in C3 C2 C0, with the sign in C1.</summary>
    private void Fxam()
    {
        var v = ST(0);
        ushort c = v.Negative ? C1 : (ushort)0;
        if (IsEmpty(0)) c |= C3 | C0;
        else if (v.IsUnsupported) { }
        else if (v.IsNaN) c |= C0;
        else if (v.IsInfinity) c |= C2 | C0;
        else if (v.IsZero) c |= C3;
        else if (v.IsDenormal) c |= C3 | C2;
        else c |= C2;
        SetConditionCodes(c);
    }
}
