using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.Float;

namespace Vm.Engine.Cpu;

/// <summary>x87 instructions with a memory operand: loads, stores and arithmetic on m16/m32/m64 integers, m32/m64/m80 reals and m80 BCD.</summary>
public sealed unsafe partial class X86Cpu
{
    private ulong Read64(uint lin) => Read32(lin) | ((ulong)Read32(lin + 4) << 32);

    private void Write64(uint lin, ulong v)
    {
        Write32(lin, (uint)v);
        Write32(lin + 4, (uint)(v >> 32));
    }

    private Float80 ReadExt(uint lin) => new(Read64(lin), Read16(lin + 8));

    private void WriteExt(uint lin, Float80 v)
    {
        Write64(lin, v.Mant);
        Write16(lin + 8, v.SignExp);
    }

    private void FpuMem(in Instr i, int esc, int reg)
    {
        uint lin = Lin(i);
        switch (esc)
        {
            case 0: case 2: case 4: case 6:
            {
                // Arithmetic and compares of ST(0) with m32real / m32int / m64real / m16int.
                var env = Env();
                Float80 v = esc switch
                {
                    0 => SoftFloat80.FromSingle(Read32(lin), ref env),
                    2 => SoftFloat80.FromInt64((int)Read32(lin)),
                    4 => SoftFloat80.FromDouble(Read64(lin), ref env),
                    _ => SoftFloat80.FromInt64((short)Read16(lin)),
                };
                FpuMemOperandPointer(i, lin);
                // A signaling NaN operand is seen by the operation itself, not quieted by the load.
                if (esc is 0 or 4 && (env.Flags & FpuEnv.IE) != 0)
                    v = new Float80(v.Mant & ~Float80.QuietBit, v.SignExp);
                // A denormal m32/m64 operand is reported only when the operation goes ahead on numbers.
                int denormal = !IsEmpty(0) && !ST(0).IsNaN && !ST(0).IsUnsupported ? env.Flags & FpuEnv.DE : 0;
                if (reg == 2 || reg == 3)
                {
                    if (Underflow(0)) SetConditionCodes(C0 | C2 | C3);
                    else Compare(ST(0), v, false, denormal);
                    if (reg == 3) FPop();
                }
                else if (Underflow(0))
                {
                    SetST(0, Float80.Indefinite);
                }
                else
                {
                    Arith(reg, 0, ST(0), v, denormal);
                }
                break;
            }
            case 1:
                switch (reg)
                {
                    case 0:
                    {
                        FpuMemOperandPointer(i, lin);
                        var env = Env();
                        var v = SoftFloat80.FromSingle(Read32(lin), ref env);
                        FPush(v);
                        RaiseFpu(env.Flags & 0x3F);
                        break;
                    }
                    case 2: case 3: StoreReal32(lin); if (reg == 3) FPop(); break;
                    case 4: Fldenv(lin); break;
                    case 5: _fcw = (ushort)(Read16(lin) | 0x40); break;
                    case 6: Fstenv(lin); break;
                    case 7: Write16(lin, _fcw); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 3:
                switch (reg)
                {
                    case 0: FpuMemOperandPointer(i, lin); FPush(SoftFloat80.FromInt64((int)Read32(lin))); break;
                    case 2: case 3:
                    {
                        long v = StoreInt(32);
                        Write32(lin, (uint)v);
                        if (reg == 3) FPop();
                        break;
                    }
                    case 5: FpuMemOperandPointer(i, lin); FPush(ReadExt(lin)); break;
                    case 7: WriteExt(lin, Underflow(0) ? Float80.Indefinite : ST(0)); FPop(); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 5:
                switch (reg)
                {
                    case 0:
                    {
                        FpuMemOperandPointer(i, lin);
                        var env = Env();
                        var v = SoftFloat80.FromDouble(Read64(lin), ref env);
                        FPush(v);
                        RaiseFpu(env.Flags & 0x3F);
                        break;
                    }
                    case 2: case 3: StoreReal64(lin); if (reg == 3) FPop(); break;
                    case 4: Frstor(lin); break;
                    case 6: Fsave(lin); break;
                    case 7: Write16(lin, Fsw); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            default: // 7
                switch (reg)
                {
                    case 0: FpuMemOperandPointer(i, lin); FPush(SoftFloat80.FromInt64((short)Read16(lin))); break;
                    case 2: case 3:
                    {
                        long v = StoreInt(16);
                        Write16(lin, (ushort)v);
                        if (reg == 3) FPop();
                        break;
                    }
                    case 4: FpuMemOperandPointer(i, lin); FPush(ReadBcd(lin)); break;
                    case 5: FpuMemOperandPointer(i, lin); FPush(SoftFloat80.FromInt64((long)Read64(lin))); break;
                    case 6: WriteBcd(lin); FPop(); break;
                    case 7: Write64(lin, (ulong)StoreInt(64)); FPop(); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
        }
    }

    private void StoreReal32(uint lin)
    {
        uint bits;
        if (Underflow(0)) bits = 0xFFC00000; // single-precision indefinite
        else
        {
            var env = Env();
            bits = SoftFloat80.ToSingle(ST(0), ref env);
            Commit(env);
        }
        Write32(lin, bits);
    }

    private void StoreReal64(uint lin)
    {
        ulong bits;
        if (Underflow(0)) bits = 0xFFF8000000000000UL;
        else
        {
            var env = Env();
            bits = SoftFloat80.ToDouble(ST(0), ref env);
            Commit(env);
        }
        Write64(lin, bits);
    }

    /// <summary>FBLD: 18 packed BCD digits and a sign byte, exact. Invalid digits give an undefined value on the real FPU; here they count as their binary value.</summary>
    private Float80 ReadBcd(uint lin)
    {
        long v = 0;
        for (int k = 8; k >= 0; k--)
        {
            byte b = Read8(lin + (uint)k);
            v = v * 100 + (b >> 4) * 10 + (b & 0xF);
        }
        bool neg = (Read8(lin + 9) & 0x80) != 0;
        var f = SoftFloat80.FromInt64(v);
        return neg ? f.Negate() : f;
    }

    /// <summary>FBSTP: rounds per RC; beyond 18 digits (or NaN, ∞) it is invalid and stores the BCD indefinite.</summary>
    private void WriteBcd(uint lin)
    {
        var env = Env();
        bool empty = Underflow(0);
        long v = empty ? long.MinValue : SoftFloat80.ToInt(ST(0), 64, ref env, out _);
        if (!empty && v != long.MinValue && Math.Abs(v) > 999_999_999_999_999_999L)
        {
            env.Flags = (env.Flags & ~(FpuEnv.PE | FpuEnv.RoundedUp)) | FpuEnv.IE;
            v = long.MinValue;
        }
        if (!empty) Commit(env);
        if (v == long.MinValue)
        {
            for (int k = 0; k < 7; k++) Write8(lin + (uint)k, 0);
            Write8(lin + 7, 0xC0); Write8(lin + 8, 0xFF); Write8(lin + 9, 0xFF);
            return;
        }
        bool neg = ST(0).Negative;
        ulong m = (ulong)Math.Abs(v);
        for (int k = 0; k < 9; k++)
        {
            int lo = (int)(m % 10); m /= 10;
            int hi = (int)(m % 10); m /= 10;
            Write8(lin + (uint)k, (byte)((hi << 4) | lo));
        }
        Write8(lin + 9, (byte)(neg ? 0x80 : 0));
    }
}
