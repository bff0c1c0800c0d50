using Vm.Engine.Cpu.Float;

namespace Vm.Engine.Cpu;

/// <summary>x87 environment and state images: FSTENV/FLDENV (28 bytes, 32-bit protected-mode layout) and FSAVE/FRSTOR (plus the eight registers).</summary>
public sealed unsafe partial class X86Cpu
{
    /// <summary>The tag word as FSTENV reports it: computed from the registers' contents (valid, zero, special, empty).</summary>
    private ushort TagWord()
    {
        int tw = 0;
        for (int r = 0; r < 8; r++)
        {
            var v = _st[r];
            int t;
            if ((_fempty & (1 << r)) != 0) t = 3;
            else if (v.IsZero) t = 1;
            else if (v.Exp == 0 || v.Exp == 0x7FFF || v.IsUnsupported) t = 2;
            else t = 0;
            tw |= t << (2 * r);
        }
        return (ushort)tw;
    }

    private void SetTagWord(ushort tw)
    {
        _fempty = 0;
        for (int r = 0; r < 8; r++) if (((tw >> (2 * r)) & 3) == 3) _fempty |= (byte)(1 << r);
    }

    private void Fstenv(uint lin)
    {
        Write32(lin, _fcw | 0xFFFF0000u);
        Write32(lin + 4, Fsw | 0xFFFF0000u);
        Write32(lin + 8, TagWord() | 0xFFFF0000u);
        Write32(lin + 12, _fip);
        Write32(lin + 16, _fcs | ((uint)(_fop & 0x7FF) << 16));
        Write32(lin + 20, _fdp);
        Write32(lin + 24, _fds | 0xFFFF0000u);
        _fcw |= 0x3F; // FNSTENV masks all exceptions
    }

    private void Fldenv(uint lin)
    {
        _fcw = (ushort)(Read32(lin) | 0x40);
        ushort sw = (ushort)Read32(lin + 4);
        _top = (sw >> 11) & 7;
        _fsw = (ushort)(sw & ~0x3800);
        SetTagWord((ushort)Read32(lin + 8));
        _fip = Read32(lin + 12);
        uint csop = Read32(lin + 16);
        _fcs = (ushort)csop; _fop = (ushort)((csop >> 16) & 0x7FF);
        _fdp = Read32(lin + 20);
        _fds = (ushort)Read32(lin + 24);
    }

    private void Fsave(uint lin)
    {
        ushort cw = _fcw;
        Fstenv(lin);
        for (int k = 0; k < 8; k++) WriteExt(lin + 28 + (uint)k * 10, ST(k));
        _fcw = cw;
        FpuInit();
    }

    private void Frstor(uint lin)
    {
        Fldenv(lin);
        // The image holds the registers in stack order, ST(0) first, relative to the restored TOP.
        for (int k = 0; k < 8; k++) ST(k) = ReadExt(lin + 28 + (uint)k * 10);
    }

    /// <summary>For snapshots and tests: physical register <paramref name="index"/> in the 80-bit format.</summary>
    internal Float80 FpuRegister(int index) => _st[index & 7];
}
