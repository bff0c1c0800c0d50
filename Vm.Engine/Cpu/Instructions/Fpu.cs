using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.Float;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>
/// x87 FPU: eight 80-bit registers (<see cref="Float80"/>) computed with <see cref="SoftFloat80"/>
/// under the control word's rounding and precision control, with the status word's exception
/// flags, C0–C3 and stack faults. Exceptions take the masked response; an unmasked one sets ES
/// and B in the status word but is not delivered (#MF/IRQ 13 are not implemented).
/// This file: registers, the stack, status, and the dispatch of the D8–DF escapes.
/// </summary>
public sealed unsafe partial class X86Cpu
{
    private readonly Float80[] _st = new Float80[8];
    private int _top;
    private ushort _fcw, _fsw;
    private byte _fempty; // bit set = physical register empty
    private uint _fip, _fdp;
    private ushort _fcs, _fds, _fop;

    private const ushort C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
    private const ushort StackFault = 0x40;

    private void FpuInit()
    {
        _fcw = 0x037F; _fsw = 0; _top = 0; _fempty = 0xFF;
        _fip = _fdp = 0; _fcs = _fds = _fop = 0;
    }

    private ref Float80 ST(int i) => ref _st[(_top + i) & 7];

    private bool IsEmpty(int i) => (_fempty & (1 << ((_top + i) & 7))) != 0;

    /// <summary>Writes ST(i) and tags it in use.</summary>
    private void SetST(int i, Float80 v)
    {
        int phys = (_top + i) & 7;
        _st[phys] = v;
        _fempty &= (byte)~(1 << phys);
    }

    private void FPush(Float80 v)
    {
        _top = (_top - 1) & 7;
        _fsw &= unchecked((ushort)~C1);
        if ((_fempty & (1 << _top)) == 0)
        {
            // Stack overflow: IE + SF with C1 = 1; the masked response pushes the indefinite.
            _fsw |= C1;
            RaiseFpu(FpuEnv.IE | StackFault);
            v = Float80.Indefinite;
        }
        SetST(0, v);
    }

    private void FPop()
    {
        _fempty |= (byte)(1 << _top);
        _top = (_top + 1) & 7;
    }

    /// <summary>
    /// Stack underflow check for the registers an instruction reads: IE + SF with C1 = 0.
    /// Returns true when one is empty (the caller then stores the masked response).
    /// </summary>
    private bool Underflow(int a, int b = 0)
    {
        if (!IsEmpty(a) && !IsEmpty(b)) return false;
        _fsw &= unchecked((ushort)~C1);
        RaiseFpu(FpuEnv.IE | StackFault);
        return true;
    }

    private FpuEnv Env() => new(_fcw);

    /// <summary>Records an operation's exception flags (sticky) and its rounding direction in C1.</summary>
    private void Commit(in FpuEnv env)
    {
        _fsw = (ushort)((_fsw & ~C1) | ((env.Flags & FpuEnv.RoundedUp) != 0 ? C1 : 0));
        RaiseFpu(env.Flags & 0x3F);
    }

    private void RaiseFpu(int flags)
    {
        _fsw |= (ushort)flags;
        // ES and B summarize unmasked exceptions (SF is not a maskable flag of its own).
        if ((_fsw & ~_fcw & 0x3F) != 0) _fsw |= 0x8080;
    }

    private ushort Fsw => (ushort)((_fsw & ~0x3800) | (_top << 11));

    private void SetConditionCodes(ushort codes) => _fsw = (ushort)((_fsw & ~(C0 | C1 | C2 | C3)) | codes);

    private void FpuMemOperandPointer(in Instr i, uint lin)
    {
        _fdp = lin - S.Seg[i.Seg].Base;
        _fds = S.Seg[i.Seg].Selector;
    }

    private void Fpu(in Instr i)
    {
        if ((S.Cr0 & 0xC) != 0) throw new CpuFault(Vec.NM);
        int esc = i.Op - 0xD8;
        int reg = i.RegField;
        bool isControl = (esc == 1 && reg >= 4 && i.IsMem) || (esc == 3 && !i.IsMem && i.ModRm is 0xE2 or 0xE3) ||
                         (esc == 5 && i.IsMem && reg >= 6) || (esc == 7 && !i.IsMem && i.ModRm == 0xE0);
        if (!isControl)
        {
            _fip = _instrStart; _fcs = S.Seg[Reg.Cs].Selector;
            _fop = (ushort)(((esc & 7) << 8) | i.ModRm);
        }
        if (i.IsMem) FpuMem(i, esc, reg);
        else FpuReg(esc, reg, i.Rm);
    }

    // ---- shared operations of the memory and register forms ----

    /// <summary>FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR (reg field 0,1,4,5,6,7): dst = a op b.</summary>
    private void Arith(int op, int dst, Float80 a, Float80 b, int loadFlags = 0)
    {
        var env = Env();
        env.Flags = loadFlags;
        Float80 r = op switch
        {
            0 => SoftFloat80.Add(a, b, ref env),
            1 => SoftFloat80.Mul(a, b, ref env),
            4 => SoftFloat80.Sub(a, b, ref env),
            5 => SoftFloat80.Sub(b, a, ref env),
            6 => SoftFloat80.Div(a, b, ref env),
            _ => SoftFloat80.Div(b, a, ref env),
        };
        Commit(env);
        SetST(dst, r);
    }

    /// <summary>FCOM/FUCOM into C3 C2 C0 (C1 cleared); <paramref name="quiet"/> raises IE only for SNaN.</summary>
    private void Compare(Float80 a, Float80 b, bool quiet, int loadFlags = 0)
    {
        var env = Env();
        env.Flags = loadFlags;
        int c = SoftFloat80.Compare(a, b, quiet, ref env);
        RaiseFpu(env.Flags & 0x3F);
        SetConditionCodes(c switch { -1 => C0, 0 => C3, 1 => 0, _ => (ushort)(C0 | C2 | C3) });
    }

    private void CompareRegisters(int rm, bool quiet)
    {
        if (Underflow(0, rm)) { SetConditionCodes(C0 | C2 | C3); return; }
        Compare(ST(0), ST(rm), quiet);
    }

    /// <summary>FCOMI/FUCOMI into ZF PF CF (OF SF AF cleared).</summary>
    private void CompareEflags(int rm, bool quiet)
    {
        int c = 2;
        if (!Underflow(0, rm))
        {
            var env = Env();
            c = SoftFloat80.Compare(ST(0), ST(rm), quiet, ref env);
            RaiseFpu(env.Flags & 0x3F);
        }
        _fsw &= unchecked((ushort)~C1);
        MaterializeFlags();
        S.Eflags &= ~(Fl.ZF | Fl.PF | Fl.CF | Fl.OF | Fl.SF | Fl.AF);
        S.Eflags |= c switch { -1 => Fl.CF, 0 => Fl.ZF, 1 => 0u, _ => Fl.ZF | Fl.PF | Fl.CF };
    }

    private long StoreInt(int bits)
    {
        if (Underflow(0)) return bits == 64 ? long.MinValue : -(1L << (bits - 1));
        var env = Env();
        long v = SoftFloat80.ToInt(ST(0), bits, ref env, out _);
        Commit(env);
        return v;
    }
}
