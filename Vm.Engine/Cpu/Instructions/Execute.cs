using System.Numerics;
using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>The interpreter: one case per opcode-map entry (see OpcodeTable for the names).</summary>
public sealed unsafe partial class X86Cpu
{
    // ---- operand helpers ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Ea(in Instr i)
    {
        uint a = (uint)i.Disp;
        if (i.Base != Instr.NoReg) a += S.R[i.Base];
        if (i.Index != Instr.NoReg) a += S.R[i.Index] << i.Scale;
        return i.A16 ? a & 0xFFFF : a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Lin(in Instr i)
    {
        uint ea = Ea(i);
        ref Segment seg = ref S.Seg[i.Seg];
        if (seg.Check != Segment.Flat) CheckSegment(i.Seg, ea, AccessWidth(i));
        return seg.Base + ea;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint ReadE(in Instr i, int sz) => i.IsMem ? ReadSz(Lin(i), sz) : GetReg(i.Rm, sz);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteE(in Instr i, int sz, uint v)
    {
        if (i.IsMem) WriteSz(Lin(i), sz, v); else SetReg(i.Rm, sz, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Vsz(in Instr i) => i.O16 ? 1 : 2;

    private void Privileged()
    {
        if (S.Cpl != 0) throw new CpuFault(Vec.GP, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Jump(uint target, in Instr i)
    {
        S.Eip = i.O16 ? target & 0xFFFF : target;
    }

    // ---- ALU ----

    internal uint Alu(int op, int sz, uint a, uint b)
    {
        uint m = SizeMask[sz];
        uint r;
        switch (op)
        {
            case 0: r = (a + b) & m; SetLazy(LazyOp.Add, sz, a, b, r); return r;
            case 1: r = (a | b) & m; SetLazy(LazyOp.Logic, sz, 0, 0, r); return r;
            case 2: { uint c = GetCF() ? 1u : 0; r = (a + b + c) & m; SetLazy(LazyOp.Add, sz, a, b, r); return r; }
            case 3: { uint c = GetCF() ? 1u : 0; r = (a - b - c) & m; SetLazy(LazyOp.Sub, sz, a, b, r); return r; }
            case 4: r = (a & b) & m; SetLazy(LazyOp.Logic, sz, 0, 0, r); return r;
            case 5: r = (a - b) & m; SetLazy(LazyOp.Sub, sz, a, b, r); return r;
            case 6: r = (a ^ b) & m; SetLazy(LazyOp.Logic, sz, 0, 0, r); return r;
            default: r = (a - b) & m; SetLazy(LazyOp.Sub, sz, a, b, r); return a;
        }
    }

    private uint Inc(int sz, uint a)
    {
        bool cf = GetCF();
        uint r = (a + 1) & SizeMask[sz];
        SetLazy(LazyOp.Inc, sz, a, 1, r);
        _lazyCf = cf;
        return r;
    }

    private uint Dec(int sz, uint a)
    {
        bool cf = GetCF();
        uint r = (a - 1) & SizeMask[sz];
        SetLazy(LazyOp.Dec, sz, a, 1, r);
        _lazyCf = cf;
        return r;
    }

    /// <summary>Group 2 (ROL ROR RCL RCR SHL SHR SAL SAR) with flags as the SDM defines them.</summary>
    internal uint Shift(int op, int sz, uint a, int count)
    {
        count &= 31;
        if (count == 0) return a;
        int bits = SizeBits[sz];
        uint m = SizeMask[sz];
        uint msb = 1u << (bits - 1);
        a &= m;
        uint r;
        bool cf, of;
        switch (op)
        {
            case 0: // ROL
            {
                int c = count % bits;
                r = c == 0 ? a : ((a << c) | (a >> (bits - c))) & m;
                cf = (r & 1) != 0;
                of = ((r & msb) != 0) ^ cf;
                SetLazyRotate(cf, of);
                return r;
            }
            case 1: // ROR
            {
                int c = count % bits;
                r = c == 0 ? a : ((a >> c) | (a << (bits - c))) & m;
                cf = (r & msb) != 0;
                of = ((r ^ (r << 1)) & msb) != 0;
                SetLazyRotate(cf, of);
                return r;
            }
            case 2: // RCL
            {
                int c = count % (bits + 1);
                if (c == 0) return a;
                ulong v = a | ((GetCF() ? 1UL : 0) << bits);
                ulong full = (v << c) | (v >> (bits + 1 - c));
                r = (uint)full & m;
                cf = ((full >> bits) & 1) != 0;
                MaterializeFlags();
                of = ((r & msb) != 0) ^ cf;
                S.Eflags = (S.Eflags & ~(Fl.CF | Fl.OF)) | (cf ? Fl.CF : 0) | (of ? Fl.OF : 0);
                return r;
            }
            case 3: // RCR
            {
                int c = count % (bits + 1);
                if (c == 0) return a;
                bool oldCf = GetCF();
                ulong v = a | ((oldCf ? 1UL : 0) << bits);
                ulong full = (v >> c) | (v << (bits + 1 - c));
                r = (uint)full & m;
                cf = ((full >> bits) & 1) != 0;
                MaterializeFlags();
                of = ((r ^ (r << 1)) & msb) != 0;
                S.Eflags = (S.Eflags & ~(Fl.CF | Fl.OF)) | (cf ? Fl.CF : 0) | (of ? Fl.OF : 0);
                return r;
            }
            case 4:
            case 6: // SHL/SAL
                r = (uint)(((ulong)a << count) & m);
                cf = count <= bits && ((a >> (bits - count)) & 1) != 0;
                of = ((r & msb) != 0) ^ cf;
                SetLazyShift(sz, r, cf, of);
                return r;
            case 5: // SHR
                r = count >= 32 ? 0 : a >> count;
                cf = ((a >> (count - 1)) & 1) != 0;
                of = (a & msb) != 0;
                SetLazyShift(sz, r, cf, count == 1 && of);
                return r;
            default: // SAR
            {
                int sa = bits == 32 ? (int)a : bits == 16 ? (short)a : (sbyte)a;
                int c = count > bits - 1 ? bits - 1 : count;
                r = (uint)(sa >> c) & m;
                cf = ((sa >> (count >= bits ? bits - 1 : count - 1)) & 1) != 0;
                SetLazyShift(sz, r, cf, false);
                return r;
            }
        }
    }

    private uint Shld(int sz, uint dst, uint src, int count, bool left)
    {
        count &= 31;
        if (count == 0) return dst;
        int bits = SizeBits[sz];
        uint m = SizeMask[sz];
        uint r;
        bool cf;
        if (sz == 2)
        {
            if (left)
            {
                r = (dst << count) | (src >> (32 - count));
                cf = ((dst >> (32 - count)) & 1) != 0;
            }
            else
            {
                r = (dst >> count) | (src << (32 - count));
                cf = ((dst >> (count - 1)) & 1) != 0;
            }
        }
        else
        {
            // 16-bit: operate on the 48-bit concatenation dst:src:dst as P6 does for counts > 16.
            if (left)
            {
                ulong t = ((ulong)(dst & 0xFFFF) << 32) | ((ulong)(src & 0xFFFF) << 16) | (dst & 0xFFFF);
                r = (uint)(t >> (32 - count)) & 0xFFFF;
                cf = ((t >> (48 - count)) & 1) != 0;
            }
            else
            {
                ulong t = ((ulong)(dst & 0xFFFF)) | ((ulong)(src & 0xFFFF) << 16) | ((ulong)(dst & 0xFFFF) << 32);
                r = (uint)(t >> count) & 0xFFFF;
                cf = ((t >> (count - 1)) & 1) != 0;
            }
        }
        r &= m;
        bool of = ((r ^ dst) >> (bits - 1) & 1) != 0;
        SetFlagsResult(r, sz, cf, of, false);
        return r;
    }

    // ---- dispatch table: one function pointer per opcode-map entry (what blocks store) ----

    private static void SUndefined(X86Cpu c, in Instr i) => throw new CpuFault(Vec.UD);

    private static void S_000(X86Cpu c, in Instr i) => c.Op_000(in i);
    private static void S_002(X86Cpu c, in Instr i) => c.Op_002(in i);
    private static void S_004(X86Cpu c, in Instr i) => c.Op_004(in i);
    private static void S_006(X86Cpu c, in Instr i) => c.Op_006(in i);
    private static void S_007(X86Cpu c, in Instr i) => c.Op_007(in i);
    private static void S_00E(X86Cpu c, in Instr i) => c.Op_00E(in i);
    private static void S_016(X86Cpu c, in Instr i) => c.Op_016(in i);
    private static void S_017(X86Cpu c, in Instr i) => c.Op_017(in i);
    private static void S_01E(X86Cpu c, in Instr i) => c.Op_01E(in i);
    private static void S_01F(X86Cpu c, in Instr i) => c.Op_01F(in i);
    private static void S_027(X86Cpu c, in Instr i) => c.Op_027(in i);
    private static void S_02F(X86Cpu c, in Instr i) => c.Op_02F(in i);
    private static void S_037(X86Cpu c, in Instr i) => c.Op_037(in i);
    private static void S_03F(X86Cpu c, in Instr i) => c.Op_03F(in i);
    private static void S_040(X86Cpu c, in Instr i) => c.Op_040(in i);
    private static void S_048(X86Cpu c, in Instr i) => c.Op_048(in i);
    private static void S_050(X86Cpu c, in Instr i) => c.Op_050(in i);
    private static void S_058(X86Cpu c, in Instr i) => c.Op_058(in i);
    private static void S_060(X86Cpu c, in Instr i) => c.Op_060(in i);
    private static void S_061(X86Cpu c, in Instr i) => c.Op_061(in i);
    private static void S_062(X86Cpu c, in Instr i) => c.Op_062(in i);
    private static void S_068(X86Cpu c, in Instr i) => c.Op_068(in i);
    private static void S_069(X86Cpu c, in Instr i) => c.Op_069(in i);
    private static void S_06A(X86Cpu c, in Instr i) => c.Op_06A(in i);
    private static void S_06C(X86Cpu c, in Instr i) => c.Op_06C(in i);
    private static void S_06E(X86Cpu c, in Instr i) => c.Op_06E(in i);
    private static void S_070(X86Cpu c, in Instr i) => c.Op_070(in i);
    private static void S_080(X86Cpu c, in Instr i) => c.Op_080(in i);
    private static void S_084(X86Cpu c, in Instr i) => c.Op_084(in i);
    private static void S_086(X86Cpu c, in Instr i) => c.Op_086(in i);
    private static void S_088(X86Cpu c, in Instr i) => c.Op_088(in i);
    private static void S_089(X86Cpu c, in Instr i) => c.Op_089(in i);
    private static void S_08A(X86Cpu c, in Instr i) => c.Op_08A(in i);
    private static void S_08B(X86Cpu c, in Instr i) => c.Op_08B(in i);
    private static void S_08C(X86Cpu c, in Instr i) => c.Op_08C(in i);
    private static void S_08D(X86Cpu c, in Instr i) => c.Op_08D(in i);
    private static void S_08E(X86Cpu c, in Instr i) => c.Op_08E(in i);
    private static void S_08F(X86Cpu c, in Instr i) => c.Op_08F(in i);
    private static void S_090(X86Cpu c, in Instr i) => c.Op_090(in i);
    private static void S_091(X86Cpu c, in Instr i) => c.Op_091(in i);
    private static void S_098(X86Cpu c, in Instr i) => c.Op_098(in i);
    private static void S_099(X86Cpu c, in Instr i) => c.Op_099(in i);
    private static void S_09A(X86Cpu c, in Instr i) => c.Op_09A(in i);
    private static void S_09B(X86Cpu c, in Instr i) => c.Op_09B(in i);
    private static void S_09C(X86Cpu c, in Instr i) => c.Op_09C(in i);
    private static void S_09D(X86Cpu c, in Instr i) => c.Op_09D(in i);
    private static void S_09E(X86Cpu c, in Instr i) => c.Op_09E(in i);
    private static void S_09F(X86Cpu c, in Instr i) => c.Op_09F(in i);
    private static void S_0A0(X86Cpu c, in Instr i) => c.Op_0A0(in i);
    private static void S_0A1(X86Cpu c, in Instr i) => c.Op_0A1(in i);
    private static void S_0A2(X86Cpu c, in Instr i) => c.Op_0A2(in i);
    private static void S_0A3(X86Cpu c, in Instr i) => c.Op_0A3(in i);
    private static void S_0A4(X86Cpu c, in Instr i) => c.Op_0A4(in i);
    private static void S_0A6(X86Cpu c, in Instr i) => c.Op_0A6(in i);
    private static void S_0A8(X86Cpu c, in Instr i) => c.Op_0A8(in i);
    private static void S_0A9(X86Cpu c, in Instr i) => c.Op_0A9(in i);
    private static void S_0AA(X86Cpu c, in Instr i) => c.Op_0AA(in i);
    private static void S_0AC(X86Cpu c, in Instr i) => c.Op_0AC(in i);
    private static void S_0AE(X86Cpu c, in Instr i) => c.Op_0AE(in i);
    private static void S_0B0(X86Cpu c, in Instr i) => c.Op_0B0(in i);
    private static void S_0B8(X86Cpu c, in Instr i) => c.Op_0B8(in i);
    private static void S_0C0(X86Cpu c, in Instr i) => c.Op_0C0(in i);
    private static void S_0C2(X86Cpu c, in Instr i) => c.Op_0C2(in i);
    private static void S_0C4(X86Cpu c, in Instr i) => c.Op_0C4(in i);
    private static void S_0C6(X86Cpu c, in Instr i) => c.Op_0C6(in i);
    private static void S_0C7(X86Cpu c, in Instr i) => c.Op_0C7(in i);
    private static void S_0C8(X86Cpu c, in Instr i) => c.Op_0C8(in i);
    private static void S_0C9(X86Cpu c, in Instr i) => c.Op_0C9(in i);
    private static void S_0CA(X86Cpu c, in Instr i) => c.Op_0CA(in i);
    private static void S_0CC(X86Cpu c, in Instr i) => c.Op_0CC(in i);
    private static void S_0CD(X86Cpu c, in Instr i) => c.Op_0CD(in i);
    private static void S_0CE(X86Cpu c, in Instr i) => c.Op_0CE(in i);
    private static void S_0CF(X86Cpu c, in Instr i) => c.Op_0CF(in i);
    private static void S_0D4(X86Cpu c, in Instr i) => c.Op_0D4(in i);
    private static void S_0D5(X86Cpu c, in Instr i) => c.Op_0D5(in i);
    private static void S_0D6(X86Cpu c, in Instr i) => c.Op_0D6(in i);
    private static void S_0D7(X86Cpu c, in Instr i) => c.Op_0D7(in i);
    private static void S_0D8(X86Cpu c, in Instr i) => c.Op_0D8(in i);
    private static void S_0E0(X86Cpu c, in Instr i) => c.Op_0E0(in i);
    private static void S_0E3(X86Cpu c, in Instr i) => c.Op_0E3(in i);
    private static void S_0E4(X86Cpu c, in Instr i) => c.Op_0E4(in i);
    private static void S_0E5(X86Cpu c, in Instr i) => c.Op_0E5(in i);
    private static void S_0E6(X86Cpu c, in Instr i) => c.Op_0E6(in i);
    private static void S_0E7(X86Cpu c, in Instr i) => c.Op_0E7(in i);
    private static void S_0E8(X86Cpu c, in Instr i) => c.Op_0E8(in i);
    private static void S_0E9(X86Cpu c, in Instr i) => c.Op_0E9(in i);
    private static void S_0EA(X86Cpu c, in Instr i) => c.Op_0EA(in i);
    private static void S_0EC(X86Cpu c, in Instr i) => c.Op_0EC(in i);
    private static void S_0ED(X86Cpu c, in Instr i) => c.Op_0ED(in i);
    private static void S_0EE(X86Cpu c, in Instr i) => c.Op_0EE(in i);
    private static void S_0EF(X86Cpu c, in Instr i) => c.Op_0EF(in i);
    private static void S_0F1(X86Cpu c, in Instr i) => c.Op_0F1(in i);
    private static void S_0F4(X86Cpu c, in Instr i) => c.Op_0F4(in i);
    private static void S_0F5(X86Cpu c, in Instr i) => c.Op_0F5(in i);
    private static void S_0F6(X86Cpu c, in Instr i) => c.Op_0F6(in i);
    private static void S_0F8(X86Cpu c, in Instr i) => c.Op_0F8(in i);
    private static void S_0F9(X86Cpu c, in Instr i) => c.Op_0F9(in i);
    private static void S_0FA(X86Cpu c, in Instr i) => c.Op_0FA(in i);
    private static void S_0FB(X86Cpu c, in Instr i) => c.Op_0FB(in i);
    private static void S_0FC(X86Cpu c, in Instr i) => c.Op_0FC(in i);
    private static void S_0FD(X86Cpu c, in Instr i) => c.Op_0FD(in i);
    private static void S_0FE(X86Cpu c, in Instr i) => c.Op_0FE(in i);
    private static void S_0FF(X86Cpu c, in Instr i) => c.Op_0FF(in i);
    private static void S_100(X86Cpu c, in Instr i) => c.Op_100(in i);
    private static void S_101(X86Cpu c, in Instr i) => c.Op_101(in i);
    private static void S_102(X86Cpu c, in Instr i) => c.Op_102(in i);
    private static void S_106(X86Cpu c, in Instr i) => c.Op_106(in i);
    private static void S_108(X86Cpu c, in Instr i) => c.Op_108(in i);
    private static void S_10B(X86Cpu c, in Instr i) => c.Op_10B(in i);
    private static void S_118(X86Cpu c, in Instr i) => c.Op_118(in i);
    private static void S_120(X86Cpu c, in Instr i) => c.Op_120(in i);
    private static void S_121(X86Cpu c, in Instr i) => c.Op_121(in i);
    private static void S_122(X86Cpu c, in Instr i) => c.Op_122(in i);
    private static void S_123(X86Cpu c, in Instr i) => c.Op_123(in i);
    private static void S_130(X86Cpu c, in Instr i) => c.Op_130(in i);
    private static void S_131(X86Cpu c, in Instr i) => c.Op_131(in i);
    private static void S_132(X86Cpu c, in Instr i) => c.Op_132(in i);
    private static void S_140(X86Cpu c, in Instr i) => c.Op_140(in i);
    private static void S_180(X86Cpu c, in Instr i) => c.Op_180(in i);
    private static void S_190(X86Cpu c, in Instr i) => c.Op_190(in i);
    private static void S_1A0(X86Cpu c, in Instr i) => c.Op_1A0(in i);
    private static void S_1A1(X86Cpu c, in Instr i) => c.Op_1A1(in i);
    private static void S_1A2(X86Cpu c, in Instr i) => c.Op_1A2(in i);
    private static void S_1A3(X86Cpu c, in Instr i) => c.Op_1A3(in i);
    private static void S_1A4(X86Cpu c, in Instr i) => c.Op_1A4(in i);
    private static void S_1A8(X86Cpu c, in Instr i) => c.Op_1A8(in i);
    private static void S_1A9(X86Cpu c, in Instr i) => c.Op_1A9(in i);
    private static void S_1B0(X86Cpu c, in Instr i) => c.Op_1B0(in i);
    private static void S_1B6(X86Cpu c, in Instr i) => c.Op_1B6(in i);
    private static void S_1B7(X86Cpu c, in Instr i) => c.Op_1B7(in i);
    private static void S_1BA(X86Cpu c, in Instr i) => c.Op_1BA(in i);
    private static void S_1BC(X86Cpu c, in Instr i) => c.Op_1BC(in i);
    private static void S_1BE(X86Cpu c, in Instr i) => c.Op_1BE(in i);
    private static void S_1BF(X86Cpu c, in Instr i) => c.Op_1BF(in i);
    private static void S_1C0(X86Cpu c, in Instr i) => c.Op_1C0(in i);
    private static void S_1C7(X86Cpu c, in Instr i) => c.Op_1C7(in i);
    private static void S_1C8(X86Cpu c, in Instr i) => c.Op_1C8(in i);

    /// <summary>Handlers by opcode index; index 0x200 (and every undefined entry) raises #UD.</summary>
    internal static readonly delegate*<X86Cpu, in Instr, void>[] Handlers = BuildHandlers();

    private static delegate*<X86Cpu, in Instr, void>[] BuildHandlers()
    {
        var t = new delegate*<X86Cpu, in Instr, void>[0x201];
        for (int k = 0; k < t.Length; k++) t[k] = &SUndefined;
        t[0x000] = &S_000;
        t[0x001] = &S_000;
        t[0x002] = &S_002;
        t[0x003] = &S_002;
        t[0x004] = &S_004;
        t[0x005] = &S_004;
        t[0x006] = &S_006;
        t[0x007] = &S_007;
        t[0x008] = &S_000;
        t[0x009] = &S_000;
        t[0x00A] = &S_002;
        t[0x00B] = &S_002;
        t[0x00C] = &S_004;
        t[0x00D] = &S_004;
        t[0x00E] = &S_00E;
        t[0x010] = &S_000;
        t[0x011] = &S_000;
        t[0x012] = &S_002;
        t[0x013] = &S_002;
        t[0x014] = &S_004;
        t[0x015] = &S_004;
        t[0x016] = &S_016;
        t[0x017] = &S_017;
        t[0x018] = &S_000;
        t[0x019] = &S_000;
        t[0x01A] = &S_002;
        t[0x01B] = &S_002;
        t[0x01C] = &S_004;
        t[0x01D] = &S_004;
        t[0x01E] = &S_01E;
        t[0x01F] = &S_01F;
        t[0x020] = &S_000;
        t[0x021] = &S_000;
        t[0x022] = &S_002;
        t[0x023] = &S_002;
        t[0x024] = &S_004;
        t[0x025] = &S_004;
        t[0x027] = &S_027;
        t[0x028] = &S_000;
        t[0x029] = &S_000;
        t[0x02A] = &S_002;
        t[0x02B] = &S_002;
        t[0x02C] = &S_004;
        t[0x02D] = &S_004;
        t[0x02F] = &S_02F;
        t[0x030] = &S_000;
        t[0x031] = &S_000;
        t[0x032] = &S_002;
        t[0x033] = &S_002;
        t[0x034] = &S_004;
        t[0x035] = &S_004;
        t[0x037] = &S_037;
        t[0x038] = &S_000;
        t[0x039] = &S_000;
        t[0x03A] = &S_002;
        t[0x03B] = &S_002;
        t[0x03C] = &S_004;
        t[0x03D] = &S_004;
        t[0x03F] = &S_03F;
        t[0x040] = &S_040;
        t[0x041] = &S_040;
        t[0x042] = &S_040;
        t[0x043] = &S_040;
        t[0x044] = &S_040;
        t[0x045] = &S_040;
        t[0x046] = &S_040;
        t[0x047] = &S_040;
        t[0x048] = &S_048;
        t[0x049] = &S_048;
        t[0x04A] = &S_048;
        t[0x04B] = &S_048;
        t[0x04C] = &S_048;
        t[0x04D] = &S_048;
        t[0x04E] = &S_048;
        t[0x04F] = &S_048;
        t[0x050] = &S_050;
        t[0x051] = &S_050;
        t[0x052] = &S_050;
        t[0x053] = &S_050;
        t[0x054] = &S_050;
        t[0x055] = &S_050;
        t[0x056] = &S_050;
        t[0x057] = &S_050;
        t[0x058] = &S_058;
        t[0x059] = &S_058;
        t[0x05A] = &S_058;
        t[0x05B] = &S_058;
        t[0x05C] = &S_058;
        t[0x05D] = &S_058;
        t[0x05E] = &S_058;
        t[0x05F] = &S_058;
        t[0x060] = &S_060;
        t[0x061] = &S_061;
        t[0x062] = &S_062;
        t[0x068] = &S_068;
        t[0x069] = &S_069;
        t[0x06A] = &S_06A;
        t[0x06B] = &S_069;
        t[0x06C] = &S_06C;
        t[0x06D] = &S_06C;
        t[0x06E] = &S_06E;
        t[0x06F] = &S_06E;
        t[0x070] = &S_070;
        t[0x071] = &S_070;
        t[0x072] = &S_070;
        t[0x073] = &S_070;
        t[0x074] = &S_070;
        t[0x075] = &S_070;
        t[0x076] = &S_070;
        t[0x077] = &S_070;
        t[0x078] = &S_070;
        t[0x079] = &S_070;
        t[0x07A] = &S_070;
        t[0x07B] = &S_070;
        t[0x07C] = &S_070;
        t[0x07D] = &S_070;
        t[0x07E] = &S_070;
        t[0x07F] = &S_070;
        t[0x080] = &S_080;
        t[0x081] = &S_080;
        t[0x082] = &S_080;
        t[0x083] = &S_080;
        t[0x084] = &S_084;
        t[0x085] = &S_084;
        t[0x086] = &S_086;
        t[0x087] = &S_086;
        t[0x088] = &S_088;
        t[0x089] = &S_089;
        t[0x08A] = &S_08A;
        t[0x08B] = &S_08B;
        t[0x08C] = &S_08C;
        t[0x08D] = &S_08D;
        t[0x08E] = &S_08E;
        t[0x08F] = &S_08F;
        t[0x090] = &S_090;
        t[0x091] = &S_091;
        t[0x092] = &S_091;
        t[0x093] = &S_091;
        t[0x094] = &S_091;
        t[0x095] = &S_091;
        t[0x096] = &S_091;
        t[0x097] = &S_091;
        t[0x098] = &S_098;
        t[0x099] = &S_099;
        t[0x09A] = &S_09A;
        t[0x09B] = &S_09B;
        t[0x09C] = &S_09C;
        t[0x09D] = &S_09D;
        t[0x09E] = &S_09E;
        t[0x09F] = &S_09F;
        t[0x0A0] = &S_0A0;
        t[0x0A1] = &S_0A1;
        t[0x0A2] = &S_0A2;
        t[0x0A3] = &S_0A3;
        t[0x0A4] = &S_0A4;
        t[0x0A5] = &S_0A4;
        t[0x0A6] = &S_0A6;
        t[0x0A7] = &S_0A6;
        t[0x0A8] = &S_0A8;
        t[0x0A9] = &S_0A9;
        t[0x0AA] = &S_0AA;
        t[0x0AB] = &S_0AA;
        t[0x0AC] = &S_0AC;
        t[0x0AD] = &S_0AC;
        t[0x0AE] = &S_0AE;
        t[0x0AF] = &S_0AE;
        t[0x0B0] = &S_0B0;
        t[0x0B1] = &S_0B0;
        t[0x0B2] = &S_0B0;
        t[0x0B3] = &S_0B0;
        t[0x0B4] = &S_0B0;
        t[0x0B5] = &S_0B0;
        t[0x0B6] = &S_0B0;
        t[0x0B7] = &S_0B0;
        t[0x0B8] = &S_0B8;
        t[0x0B9] = &S_0B8;
        t[0x0BA] = &S_0B8;
        t[0x0BB] = &S_0B8;
        t[0x0BC] = &S_0B8;
        t[0x0BD] = &S_0B8;
        t[0x0BE] = &S_0B8;
        t[0x0BF] = &S_0B8;
        t[0x0C0] = &S_0C0;
        t[0x0C1] = &S_0C0;
        t[0x0C2] = &S_0C2;
        t[0x0C3] = &S_0C2;
        t[0x0C4] = &S_0C4;
        t[0x0C5] = &S_0C4;
        t[0x0C6] = &S_0C6;
        t[0x0C7] = &S_0C7;
        t[0x0C8] = &S_0C8;
        t[0x0C9] = &S_0C9;
        t[0x0CA] = &S_0CA;
        t[0x0CB] = &S_0CA;
        t[0x0CC] = &S_0CC;
        t[0x0CD] = &S_0CD;
        t[0x0CE] = &S_0CE;
        t[0x0CF] = &S_0CF;
        t[0x0D0] = &S_0C0;
        t[0x0D1] = &S_0C0;
        t[0x0D2] = &S_0C0;
        t[0x0D3] = &S_0C0;
        t[0x0D4] = &S_0D4;
        t[0x0D5] = &S_0D5;
        t[0x0D6] = &S_0D6;
        t[0x0D7] = &S_0D7;
        t[0x0D8] = &S_0D8;
        t[0x0D9] = &S_0D8;
        t[0x0DA] = &S_0D8;
        t[0x0DB] = &S_0D8;
        t[0x0DC] = &S_0D8;
        t[0x0DD] = &S_0D8;
        t[0x0DE] = &S_0D8;
        t[0x0DF] = &S_0D8;
        t[0x0E0] = &S_0E0;
        t[0x0E1] = &S_0E0;
        t[0x0E2] = &S_0E0;
        t[0x0E3] = &S_0E3;
        t[0x0E4] = &S_0E4;
        t[0x0E5] = &S_0E5;
        t[0x0E6] = &S_0E6;
        t[0x0E7] = &S_0E7;
        t[0x0E8] = &S_0E8;
        t[0x0E9] = &S_0E9;
        t[0x0EA] = &S_0EA;
        t[0x0EB] = &S_0E9;
        t[0x0EC] = &S_0EC;
        t[0x0ED] = &S_0ED;
        t[0x0EE] = &S_0EE;
        t[0x0EF] = &S_0EF;
        t[0x0F1] = &S_0F1;
        t[0x0F4] = &S_0F4;
        t[0x0F5] = &S_0F5;
        t[0x0F6] = &S_0F6;
        t[0x0F7] = &S_0F6;
        t[0x0F8] = &S_0F8;
        t[0x0F9] = &S_0F9;
        t[0x0FA] = &S_0FA;
        t[0x0FB] = &S_0FB;
        t[0x0FC] = &S_0FC;
        t[0x0FD] = &S_0FD;
        t[0x0FE] = &S_0FE;
        t[0x0FF] = &S_0FF;
        t[0x100] = &S_100;
        t[0x101] = &S_101;
        t[0x102] = &S_102;
        t[0x103] = &S_102;
        t[0x106] = &S_106;
        t[0x108] = &S_108;
        t[0x109] = &S_108;
        t[0x10B] = &S_10B;
        t[0x118] = &S_118;
        t[0x119] = &S_118;
        t[0x11A] = &S_118;
        t[0x11B] = &S_118;
        t[0x11C] = &S_118;
        t[0x11D] = &S_118;
        t[0x11E] = &S_118;
        t[0x11F] = &S_118;
        t[0x120] = &S_120;
        t[0x121] = &S_121;
        t[0x122] = &S_122;
        t[0x123] = &S_123;
        t[0x130] = &S_130;
        t[0x131] = &S_131;
        t[0x132] = &S_132;
        t[0x140] = &S_140;
        t[0x141] = &S_140;
        t[0x142] = &S_140;
        t[0x143] = &S_140;
        t[0x144] = &S_140;
        t[0x145] = &S_140;
        t[0x146] = &S_140;
        t[0x147] = &S_140;
        t[0x148] = &S_140;
        t[0x149] = &S_140;
        t[0x14A] = &S_140;
        t[0x14B] = &S_140;
        t[0x14C] = &S_140;
        t[0x14D] = &S_140;
        t[0x14E] = &S_140;
        t[0x14F] = &S_140;
        t[0x180] = &S_180;
        t[0x181] = &S_180;
        t[0x182] = &S_180;
        t[0x183] = &S_180;
        t[0x184] = &S_180;
        t[0x185] = &S_180;
        t[0x186] = &S_180;
        t[0x187] = &S_180;
        t[0x188] = &S_180;
        t[0x189] = &S_180;
        t[0x18A] = &S_180;
        t[0x18B] = &S_180;
        t[0x18C] = &S_180;
        t[0x18D] = &S_180;
        t[0x18E] = &S_180;
        t[0x18F] = &S_180;
        t[0x190] = &S_190;
        t[0x191] = &S_190;
        t[0x192] = &S_190;
        t[0x193] = &S_190;
        t[0x194] = &S_190;
        t[0x195] = &S_190;
        t[0x196] = &S_190;
        t[0x197] = &S_190;
        t[0x198] = &S_190;
        t[0x199] = &S_190;
        t[0x19A] = &S_190;
        t[0x19B] = &S_190;
        t[0x19C] = &S_190;
        t[0x19D] = &S_190;
        t[0x19E] = &S_190;
        t[0x19F] = &S_190;
        t[0x1A0] = &S_1A0;
        t[0x1A1] = &S_1A1;
        t[0x1A2] = &S_1A2;
        t[0x1A3] = &S_1A3;
        t[0x1A4] = &S_1A4;
        t[0x1A5] = &S_1A4;
        t[0x1A8] = &S_1A8;
        t[0x1A9] = &S_1A9;
        t[0x1AB] = &S_1A3;
        t[0x1AC] = &S_1A4;
        t[0x1AD] = &S_1A4;
        t[0x1AF] = &S_069;
        t[0x1B0] = &S_1B0;
        t[0x1B1] = &S_1B0;
        t[0x1B2] = &S_0C4;
        t[0x1B3] = &S_1A3;
        t[0x1B4] = &S_0C4;
        t[0x1B5] = &S_0C4;
        t[0x1B6] = &S_1B6;
        t[0x1B7] = &S_1B7;
        t[0x1BA] = &S_1BA;
        t[0x1BB] = &S_1A3;
        t[0x1BC] = &S_1BC;
        t[0x1BD] = &S_1BC;
        t[0x1BE] = &S_1BE;
        t[0x1BF] = &S_1BF;
        t[0x1C0] = &S_1C0;
        t[0x1C1] = &S_1C0;
        t[0x1C7] = &S_1C7;
        t[0x1C8] = &S_1C8;
        t[0x1C9] = &S_1C8;
        t[0x1CA] = &S_1C8;
        t[0x1CB] = &S_1C8;
        t[0x1CC] = &S_1C8;
        t[0x1CD] = &S_1C8;
        t[0x1CE] = &S_1C8;
        t[0x1CF] = &S_1C8;
        return t;
    }

    internal static delegate*<X86Cpu, in Instr, void> HandlerFor(ushort op) => Handlers[op == Decoder.Undefined ? 0x200 : op];

    // ---- one handler per opcode group (small methods keep the JIT's inlining effective) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_000(in Instr i)
    {
        int op = i.Op;
        int sz = (op & 1) == 0 ? 0 : Vsz(i);
        int aop = op >> 3;
        uint b = GetReg(i.RegField, sz);
        if (i.IsMem)
        {
            uint lin = Lin(i);
            uint r = Alu(aop, sz, ReadSz(lin, sz), b);
            if (aop != 7) WriteSz(lin, sz, r);
        }
        else
        {
            uint r = Alu(aop, sz, GetReg(i.Rm, sz), b);
            if (aop != 7) SetReg(i.Rm, sz, r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_002(in Instr i)
    {
        int op = i.Op;
        int sz = (op & 1) == 0 ? 0 : Vsz(i);
        int aop = op >> 3;
        uint r = Alu(aop, sz, GetReg(i.RegField, sz), ReadE(i, sz));
        if (aop != 7) SetReg(i.RegField, sz, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_004(in Instr i)
    {
        int op = i.Op;
        int sz = (op & 1) == 0 ? 0 : Vsz(i);
        int aop = op >> 3;
        uint r = Alu(aop, sz, GetReg(0, sz), (uint)i.Imm & SizeMask[sz]);
        if (aop != 7) SetReg(0, sz, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_006(in Instr i)
    {
        PushSz(S.Seg[Reg.Es].Selector, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_00E(in Instr i)
    {
        PushSz(S.Seg[Reg.Cs].Selector, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_016(in Instr i)
    {
        PushSz(S.Seg[Reg.Ss].Selector, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_01E(in Instr i)
    {
        PushSz(S.Seg[Reg.Ds].Selector, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1A0(in Instr i)
    {
        PushSz(S.Seg[Reg.Fs].Selector, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1A8(in Instr i)
    {
        PushSz(S.Seg[Reg.Gs].Selector, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_007(in Instr i)
    {
        PopSeg(Reg.Es, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_017(in Instr i)
    {
        PopSeg(Reg.Ss, i); _interruptShadow = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_01F(in Instr i)
    {
        PopSeg(Reg.Ds, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1A1(in Instr i)
    {
        PopSeg(Reg.Fs, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1A9(in Instr i)
    {
        PopSeg(Reg.Gs, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_027(in Instr i)
    {
        Daa();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_02F(in Instr i)
    {
        Das();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_037(in Instr i)
    {
        Aaa();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_03F(in Instr i)
    {
        Aas();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_040(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i); SetReg(op & 7, sz, Inc(sz, GetReg(op & 7, sz)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_048(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i); SetReg(op & 7, sz, Dec(sz, GetReg(op & 7, sz)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_050(in Instr i)
    {
        int op = i.Op;
        if (i.O16) Push16(S.R[op & 7]); else Push32(S.R[op & 7]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_058(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i);
        uint v = PopSz(sz);
        SetReg(op & 7, sz, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_060(in Instr i)
    {
        int sz = Vsz(i);
        uint esp = S.R[Reg.Esp];
        for (int r = 0; r < 8; r++) PushSz(r == Reg.Esp ? esp : S.R[r], sz);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_061(in Instr i)
    {
        int sz = Vsz(i);
        for (int r = 7; r >= 0; r--)
        {
            uint v = PopSz(sz);
            if (r != Reg.Esp) SetReg(r, sz, v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_062(in Instr i)
    {
        if (!i.IsMem) throw new CpuFault(Vec.UD);
        int sz = Vsz(i);
        uint lin = Lin(i);
        int idx, lo, hi;
        if (sz == 2) { idx = (int)S.R[i.RegField]; lo = (int)Read32(lin); hi = (int)Read32(lin + 4); }
        else { idx = (short)S.R[i.RegField]; lo = (short)Read16(lin); hi = (short)Read16(lin + 2); }
        if (idx < lo || idx > hi) throw new CpuFault(Vec.BR);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_068(in Instr i)
    {
        PushSz((uint)i.Imm, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_06A(in Instr i)
    {
        PushSz((uint)i.Imm, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_069(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i);
        long a = sz == 2 ? (int)ReadE(i, sz) : (short)ReadE(i, sz);
        long b = op == 0x1AF ? (sz == 2 ? (int)S.R[i.RegField] : (short)S.R[i.RegField]) : i.Imm;
        long r = a * b;
        bool ovf = sz == 2 ? r != (int)r : r != (short)r;
        SetReg(i.RegField, sz, (uint)r);
        SetFlagsResult((uint)r, sz, ovf, ovf);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_06C(in Instr i)
    {
        int op = i.Op;
        Ins(i, op == 0x6C ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_06E(in Instr i)
    {
        int op = i.Op;
        Outs(i, op == 0x6E ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_070(in Instr i)
    {
        int op = i.Op;
        if (Cond(op & 15)) Jump(S.Eip + (uint)i.Imm, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_180(in Instr i)
    {
        int op = i.Op;
        if (Cond(op & 15)) Jump(S.Eip + (uint)i.Imm, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_080(in Instr i)
    {
        int op = i.Op;
        int sz = (op & 1) == 0 ? 0 : Vsz(i);
        uint b = (uint)i.Imm & SizeMask[sz];
        int aop = i.RegField;
        if (i.IsMem)
        {
            uint lin = Lin(i);
            uint r = Alu(aop, sz, ReadSz(lin, sz), b);
            if (aop != 7) WriteSz(lin, sz, r);
        }
        else
        {
            uint r = Alu(aop, sz, GetReg(i.Rm, sz), b);
            if (aop != 7) SetReg(i.Rm, sz, r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_084(in Instr i)
    {
        int op = i.Op;
        int sz = op == 0x84 ? 0 : Vsz(i);
        Alu(4, sz, ReadE(i, sz), GetReg(i.RegField, sz));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A8(in Instr i)
    {
        Alu(4, 0, GetReg(0, 0), (uint)i.Imm & 0xFF);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A9(in Instr i)
    {
        int sz = Vsz(i); Alu(4, sz, GetReg(0, sz), (uint)i.Imm & SizeMask[sz]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_086(in Instr i)
    {
        int op = i.Op;
        int sz = op == 0x86 ? 0 : Vsz(i);
        uint g = GetReg(i.RegField, sz);
        if (i.IsMem)
        {
            uint lin = Lin(i);
            uint m = ReadSz(lin, sz);
            WriteSz(lin, sz, g);
            SetReg(i.RegField, sz, m);
        }
        else
        {
            uint m = GetReg(i.Rm, sz);
            SetReg(i.Rm, sz, g);
            SetReg(i.RegField, sz, m);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_088(in Instr i)
    {
        WriteE(i, 0, GetReg(i.RegField, 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_089(in Instr i)
    {
        if (i.O16) WriteE(i, 1, S.R[i.RegField]);
        else if (i.IsMem) Write32(Lin(i), S.R[i.RegField]);
        else S.R[i.Rm] = S.R[i.RegField];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_08A(in Instr i)
    {
        SetReg(i.RegField, 0, ReadE(i, 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_08B(in Instr i)
    {
        if (i.O16) SetReg(i.RegField, 1, ReadE(i, 1));
        else S.R[i.RegField] = i.IsMem ? Read32(Lin(i)) : S.R[i.Rm];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_08C(in Instr i)
    {
        if (i.RegField > 5) throw new CpuFault(Vec.UD);
        uint sel = S.Seg[i.RegField].Selector;
        if (i.IsMem) Write16(Lin(i), (ushort)sel);
        else SetReg(i.Rm, i.O16 ? 1 : 2, sel);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_08D(in Instr i)
    {
        if (!i.IsMem) throw new CpuFault(Vec.UD);
        SetReg(i.RegField, Vsz(i), Ea(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_08E(in Instr i)
    {
        int s = i.RegField;
        if (s == Reg.Cs || s > 5) throw new CpuFault(Vec.UD);
        LoadSegment(s, (ushort)ReadE(i, 1));
        if (s == Reg.Ss) _interruptShadow = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_08F(in Instr i)
    {
        int sz = Vsz(i);
        uint esp = S.R[Reg.Esp];
        uint v = PopSz(sz);
        try { WriteE(i, sz, v); }
        catch (CpuFault) { S.R[Reg.Esp] = esp; throw; }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_090(in Instr i)
    {

    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_091(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i);
        uint a = GetReg(0, sz);
        SetReg(0, sz, GetReg(op & 7, sz));
        SetReg(op & 7, sz, a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_098(in Instr i)
    {
        if (i.O16) SetReg(0, 1, (uint)(sbyte)S.R[0]);
        else S.R[0] = (uint)(short)S.R[0];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_099(in Instr i)
    {
        if (i.O16) SetReg(Reg.Edx, 1, (S.R[0] & 0x8000) != 0 ? 0xFFFFu : 0);
        else S.R[Reg.Edx] = (S.R[0] & 0x80000000) != 0 ? 0xFFFFFFFFu : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_09A(in Instr i)
    {
        int sz = Vsz(i);
        ushort oldCs = S.Seg[Reg.Cs].Selector;
        uint ret = S.Eip;
        uint esp = S.R[Reg.Esp];
        PushSz(oldCs, sz);
        PushSz(ret, sz);
        try { LoadCsFar((ushort)i.Imm2, (uint)i.Imm); }
        catch (CpuFault) { S.R[Reg.Esp] = esp; throw; }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_09B(in Instr i)
    {
        if ((S.Cr0 & 0xA) == 0xA) throw new CpuFault(Vec.NM);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_09C(in Instr i)
    {
        if ((S.Eflags & Fl.VM) != 0 && ((S.Eflags >> 12) & 3) != 3) throw new CpuFault(Vec.GP, 0);
        PushSz(GetEflags() & 0x00FCFFFF, Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_09D(in Instr i)
    {
        int sz = Vsz(i);
        uint v = PopSz(sz);
        WriteEflags(v, PopfMask(sz == 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_09E(in Instr i)
    {
        MaterializeFlags();
        uint ah = (S.R[0] >> 8) & 0xFF;
        const uint m = Fl.SF | Fl.ZF | Fl.AF | Fl.PF | Fl.CF;
        S.Eflags = (S.Eflags & ~m) | (ah & m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_09F(in Instr i)
    {
        SetReg(4, 0, (GetEflags() & 0xD5) | 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A0(in Instr i)
    {
        SetReg(0, 0, Read8(MoffsLin(i, 1)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A1(in Instr i)
    {
        int sz = Vsz(i); SetReg(0, sz, ReadSz(MoffsLin(i, sz == 1 ? 2u : 4u), sz));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A2(in Instr i)
    {
        Write8(MoffsLin(i, 1), (byte)S.R[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A3(in Instr i)
    {
        int sz = Vsz(i); WriteSz(MoffsLin(i, sz == 1 ? 2u : 4u), sz, S.R[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A4(in Instr i)
    {
        int op = i.Op;
        Movs(i, op == 0xA4 ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0A6(in Instr i)
    {
        int op = i.Op;
        Cmps(i, op == 0xA6 ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0AA(in Instr i)
    {
        int op = i.Op;
        Stos(i, op == 0xAA ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0AC(in Instr i)
    {
        int op = i.Op;
        Lods(i, op == 0xAC ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0AE(in Instr i)
    {
        int op = i.Op;
        Scas(i, op == 0xAE ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0B0(in Instr i)
    {
        int op = i.Op;
        SetReg(op & 7, 0, (uint)i.Imm);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0B8(in Instr i)
    {
        int op = i.Op;
        SetReg(op & 7, Vsz(i), (uint)i.Imm);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0C0(in Instr i)
    {
        int op = i.Op;
        int sz = (op & 1) == 0 ? 0 : Vsz(i);
        int count = op <= 0xC1 ? i.Imm & 0xFF : op <= 0xD1 ? 1 : (int)(S.R[Reg.Ecx] & 0xFF);
        if (i.IsMem)
        {
            uint lin = Lin(i);
            uint v = ReadSz(lin, sz);
            uint r = Shift(i.RegField, sz, v, count);
            WriteSz(lin, sz, r);
        }
        else
        {
            SetReg(i.Rm, sz, Shift(i.RegField, sz, GetReg(i.Rm, sz), count));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0C2(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i);
        uint ret = PopSz(sz);
        if (op == 0xC2) AddEsp((uint)i.Imm & 0xFFFF);
        S.Eip = sz == 1 ? ret & 0xFFFF : ret;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0C4(in Instr i)
    {
        int op = i.Op;
        if (!i.IsMem) throw new CpuFault(Vec.UD);
        int sz = Vsz(i);
        uint lin = Lin(i);
        uint off = ReadSz(lin, sz);
        ushort sel = Read16(lin + (sz == 2 ? 4u : 2u));
        int s = op switch { 0xC4 => Reg.Es, 0xC5 => Reg.Ds, 0x1B2 => Reg.Ss, 0x1B4 => Reg.Fs, _ => Reg.Gs };
        LoadSegment(s, sel);
        SetReg(i.RegField, sz, off);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0C6(in Instr i)
    {
        WriteE(i, 0, (uint)i.Imm);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0C7(in Instr i)
    {
        WriteE(i, Vsz(i), (uint)i.Imm);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0C8(in Instr i)
    {
        Enter(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0C9(in Instr i)
    {
        int sz = Vsz(i);
        if (S.Seg[Reg.Ss].Big) S.R[Reg.Esp] = S.R[Reg.Ebp];
        else S.R[Reg.Esp] = (S.R[Reg.Esp] & 0xFFFF0000) | (S.R[Reg.Ebp] & 0xFFFF);
        SetReg(Reg.Ebp, sz, PopSz(sz));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0CA(in Instr i)
    {
        int op = i.Op;
        RetFar(i, op == 0xCA ? (uint)i.Imm & 0xFFFF : 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0CC(in Instr i)
    {
        DeliverInterrupt(Vec.BP, -1, S.Eip, true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0CD(in Instr i)
    {
        DeliverInterrupt(i.Imm & 0xFF, -1, S.Eip, true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0CE(in Instr i)
    {
        if (GetOF()) DeliverInterrupt(Vec.OF, -1, S.Eip, true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0F1(in Instr i)
    {
        DeliverInterrupt(Vec.DB, -1, S.Eip, false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0CF(in Instr i)
    {
        Iret(i.O16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0D4(in Instr i)
    {
        uint b = (uint)i.Imm & 0xFF;
        if (b == 0) throw new CpuFault(Vec.DE);
        uint al = S.R[0] & 0xFF;
        uint r = ((al / b) << 8) | (al % b);
        SetReg(0, 1, r);
        SetFlagsResult(r & 0xFF, 0, false, false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0D5(in Instr i)
    {
        uint b = (uint)i.Imm & 0xFF;
        uint r = ((S.R[0] & 0xFF) + ((S.R[0] >> 8) & 0xFF) * b) & 0xFF;
        SetReg(0, 1, r);
        SetFlagsResult(r, 0, false, false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0D6(in Instr i)
    {
        SetReg(0, 0, GetCF() ? 0xFFu : 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0D7(in Instr i)
    {
        uint a = S.R[Reg.Ebx] + (S.R[0] & 0xFF);
        if (i.A16) a &= 0xFFFF;
        SetReg(0, 0, Read8(SegLin(i.Seg, a, 1)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0D8(in Instr i)
    {
        Fpu(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E0(in Instr i)
    {
        int op = i.Op;
        uint c;
        if (i.A16) { c = (S.R[Reg.Ecx] - 1) & 0xFFFF; SetReg(Reg.Ecx, 1, c); }
        else { c = S.R[Reg.Ecx] - 1; S.R[Reg.Ecx] = c; }
        bool take = c != 0 && (op == 0xE2 || (op == 0xE1 ? GetZF() : !GetZF()));
        if (take) Jump(S.Eip + (uint)i.Imm, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E3(in Instr i)
    {
        if ((i.A16 ? S.R[Reg.Ecx] & 0xFFFF : S.R[Reg.Ecx]) == 0) Jump(S.Eip + (uint)i.Imm, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E4(in Instr i)
    {
        SetReg(0, 0, PortIn((ushort)(i.Imm & 0xFF), 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E5(in Instr i)
    {
        int sz = Vsz(i); SetReg(0, sz, PortIn((ushort)(i.Imm & 0xFF), sz));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E6(in Instr i)
    {
        PortOut((ushort)(i.Imm & 0xFF), 0, S.R[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E7(in Instr i)
    {
        PortOut((ushort)(i.Imm & 0xFF), Vsz(i), S.R[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0EC(in Instr i)
    {
        SetReg(0, 0, PortIn((ushort)S.R[Reg.Edx], 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0ED(in Instr i)
    {
        int sz = Vsz(i); SetReg(0, sz, PortIn((ushort)S.R[Reg.Edx], sz));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0EE(in Instr i)
    {
        PortOut((ushort)S.R[Reg.Edx], 0, S.R[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0EF(in Instr i)
    {
        PortOut((ushort)S.R[Reg.Edx], Vsz(i), S.R[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E8(in Instr i)
    {
        int sz = Vsz(i);
        PushSz(S.Eip, sz);
        Jump(S.Eip + (uint)i.Imm, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0E9(in Instr i)
    {
        Jump(S.Eip + (uint)i.Imm, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0EA(in Instr i)
    {
        LoadCsFar((ushort)i.Imm2, (uint)i.Imm);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0F4(in Instr i)
    {
        Privileged();
        if ((S.Eflags & Fl.IF) == 0)
        {
            StopReason = "halted with interrupts disabled";
        }
        Halted = true;
        StopBlock = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0F5(in Instr i)
    {
        SetFlag(Fl.CF, !GetCF());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0F6(in Instr i)
    {
        int op = i.Op;
        Group3(i, op == 0xF6 ? 0 : Vsz(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0F8(in Instr i)
    {
        SetFlag(Fl.CF, false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0F9(in Instr i)
    {
        SetFlag(Fl.CF, true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0FA(in Instr i)
    {
        if ((S.Cr0 & 1) != 0 && S.Cpl > (int)((S.Eflags >> 12) & 3)) throw new CpuFault(Vec.GP, 0);
        S.Eflags &= ~Fl.IF;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0FB(in Instr i)
    {
        if ((S.Cr0 & 1) != 0 && S.Cpl > (int)((S.Eflags >> 12) & 3)) throw new CpuFault(Vec.GP, 0);
        if ((S.Eflags & Fl.IF) == 0) _interruptShadow = true;
        S.Eflags |= Fl.IF;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0FC(in Instr i)
    {
        S.Eflags &= ~Fl.DF;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0FD(in Instr i)
    {
        S.Eflags |= Fl.DF;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0FE(in Instr i)
    {
        if (i.RegField > 1) throw new CpuFault(Vec.UD);
        if (i.IsMem)
        {
            uint lin = Lin(i);
            uint v = Read8(lin);
            Write8(lin, (byte)(i.RegField == 0 ? Inc(0, v) : Dec(0, v)));
        }
        else
        {
            uint v = GetReg(i.Rm, 0);
            SetReg(i.Rm, 0, i.RegField == 0 ? Inc(0, v) : Dec(0, v));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_0FF(in Instr i)
    {
        Group5(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_100(in Instr i)
    {
        Group6(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_101(in Instr i)
    {
        Group7(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_102(in Instr i)
    {
        int op = i.Op;
        LarLsl(i, op == 0x102);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_106(in Instr i)
    {
        Privileged(); S.Cr0 &= ~8u;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_108(in Instr i)
    {
        Privileged();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_10B(in Instr i)
    {
        throw new CpuFault(Vec.UD);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_118(in Instr i)
    {
        // hint NOPs (0F 1F /0 is NOPL)
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_120(in Instr i)
    {
        Privileged();
        uint v = i.RegField switch { 0 => S.Cr0, 2 => S.Cr2, 3 => S.Cr3, 4 => S.Cr4, _ => throw new CpuFault(Vec.UD) };
        S.R[i.Rm] = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_122(in Instr i)
    {
        Privileged(); WriteCr(i.RegField, S.R[i.Rm]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_121(in Instr i)
    {
        Privileged(); S.R[i.Rm] = _dr[i.RegField];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_123(in Instr i)
    {
        Privileged(); _dr[i.RegField] = S.R[i.Rm];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_130(in Instr i)
    {
        Privileged(); WriteMsr(S.R[Reg.Ecx], ((ulong)S.R[Reg.Edx] << 32) | S.R[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_131(in Instr i)
    {
        if ((S.Cr4 & 4) != 0 && S.Cpl != 0) throw new CpuFault(Vec.GP, 0);
        ulong t = Tsc();
        S.R[0] = (uint)t; S.R[Reg.Edx] = (uint)(t >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_132(in Instr i)
    {
        Privileged();
        ulong v = ReadMsr(S.R[Reg.Ecx]);
        S.R[0] = (uint)v; S.R[Reg.Edx] = (uint)(v >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_140(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i);
        uint v = ReadE(i, sz);
        if (Cond(op & 15)) SetReg(i.RegField, sz, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_190(in Instr i)
    {
        int op = i.Op;
        WriteE(i, 0, Cond(op & 15) ? 1u : 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1A2(in Instr i)
    {
        Cpuid();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1A3(in Instr i)
    {
        int op = i.Op;
        BitOp(i, op switch { 0x1A3 => 0, 0x1AB => 1, 0x1B3 => 2, _ => 3 }, true, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1BA(in Instr i)
    {
        if (i.RegField < 4) throw new CpuFault(Vec.UD);
        BitOp(i, i.RegField - 4, false, i.Imm & 0xFF);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1A4(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i);
        int count = (op & 1) == 0 ? i.Imm & 0xFF : (int)(S.R[Reg.Ecx] & 0xFF);
        bool left = op <= 0x1A5;
        uint src = GetReg(i.RegField, sz);
        if (i.IsMem)
        {
            uint lin = Lin(i);
            uint r = Shld(sz, ReadSz(lin, sz), src, count, left);
            WriteSz(lin, sz, r);
        }
        else
        {
            SetReg(i.Rm, sz, Shld(sz, GetReg(i.Rm, sz), src, count, left));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1B0(in Instr i)
    {
        int op = i.Op;
        int sz = op == 0x1B0 ? 0 : Vsz(i);
        uint acc = GetReg(0, sz);
        uint lin = i.IsMem ? Lin(i) : 0;
        uint dst = i.IsMem ? ReadSz(lin, sz) : GetReg(i.Rm, sz);
        Alu(7, sz, acc, dst);
        if (acc == dst)
        {
            uint src = GetReg(i.RegField, sz);
            if (i.IsMem) WriteSz(lin, sz, src); else SetReg(i.Rm, sz, src);
        }
        else
        {
            if (i.IsMem) WriteSz(lin, sz, dst);
            SetReg(0, sz, dst);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1B6(in Instr i)
    {
        SetReg(i.RegField, Vsz(i), ReadE(i, 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1B7(in Instr i)
    {
        SetReg(i.RegField, Vsz(i), ReadE(i, 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1BE(in Instr i)
    {
        SetReg(i.RegField, Vsz(i), (uint)(sbyte)ReadE(i, 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1BF(in Instr i)
    {
        SetReg(i.RegField, Vsz(i), (uint)(short)ReadE(i, 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1BC(in Instr i)
    {
        int op = i.Op;
        int sz = Vsz(i);
        uint v = ReadE(i, sz);
        MaterializeFlags();
        if (v == 0)
        {
            S.Eflags |= Fl.ZF;
        }
        else
        {
            S.Eflags &= ~Fl.ZF;
            uint r = op == 0x1BC ? (uint)BitOperations.TrailingZeroCount(v) : (uint)(31 - BitOperations.LeadingZeroCount(v));
            SetReg(i.RegField, sz, r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1C0(in Instr i)
    {
        int op = i.Op;
        int sz = op == 0x1C0 ? 0 : Vsz(i);
        uint src = GetReg(i.RegField, sz);
        if (i.IsMem)
        {
            uint lin = Lin(i);
            uint d = ReadSz(lin, sz);
            uint r = Alu(0, sz, d, src);
            WriteSz(lin, sz, r);
            SetReg(i.RegField, sz, d);
        }
        else
        {
            uint d = GetReg(i.Rm, sz);
            uint r = Alu(0, sz, d, src);
            SetReg(i.RegField, sz, d);
            SetReg(i.Rm, sz, r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1C7(in Instr i)
    {
        if (i.RegField != 1 || !i.IsMem) throw new CpuFault(Vec.UD);
        uint lin = Lin(i);
        uint lo = Read32(lin), hi = Read32(lin + 4);
        if (lo == S.R[0] && hi == S.R[Reg.Edx])
        {
            Write32(lin, S.R[Reg.Ebx]);
            Write32(lin + 4, S.R[Reg.Ecx]);
            SetFlag(Fl.ZF, true);
        }
        else
        {
            Write32(lin, lo);
            Write32(lin + 4, hi);
            S.R[0] = lo; S.R[Reg.Edx] = hi;
            SetFlag(Fl.ZF, false);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Op_1C8(in Instr i)
    {
        int op = i.Op;
        S.R[op & 7] = BinaryPrimitives_ReverseEndianness(S.R[op & 7]);
    }

    private static uint BinaryPrimitives_ReverseEndianness(uint v) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);

    private uint MoffsAddr(in Instr i) => i.A16 ? (uint)i.Disp & 0xFFFF : (uint)i.Disp;

    private void PopSeg(int s, in Instr i)
    {
        int sz = Vsz(i);
        uint esp = S.R[Reg.Esp];
        uint v = PopSz(sz);
        try { LoadSegment(s, (ushort)v); }
        catch (CpuFault) { S.R[Reg.Esp] = esp; throw; }
    }

    private void Enter(in Instr i)
    {
        int sz = Vsz(i);
        uint size = (uint)i.Imm & 0xFFFF;
        int level = i.Imm2 & 31;
        PushSz(S.R[Reg.Ebp], sz);
        uint frame = S.R[Reg.Esp];
        if (level > 0)
        {
            uint ebp = S.R[Reg.Ebp];
            uint step = sz == 2 ? 4u : 2u;
            for (int l = 1; l < level; l++)
            {
                ebp -= step;
                uint v = ReadSz(S.Seg[Reg.Ss].Base + (S.Seg[Reg.Ss].Big ? ebp : ebp & 0xFFFF), sz);
                PushSz(v, sz);
            }
            PushSz(frame, sz);
        }
        SetReg(Reg.Ebp, sz, frame);
        if (S.Seg[Reg.Ss].Big) S.R[Reg.Esp] -= size;
        else S.R[Reg.Esp] = (S.R[Reg.Esp] & 0xFFFF0000) | ((S.R[Reg.Esp] - size) & 0xFFFF);
    }

    private void RetFar(in Instr i, uint extra)
    {
        int sz = Vsz(i);
        uint n = sz == 2 ? 4u : 2u;
        uint eip = StackPeek(0, sz);
        ushort sel = (ushort)StackPeek(n, sz);
        if ((S.Cr0 & 1) == 0 || (S.Eflags & Fl.VM) != 0)
        {
            AddEsp(2 * n + extra);
            LoadSegReal(Reg.Cs, sel);
            S.Eip = eip & 0xFFFF;
            return;
        }
        int rpl = sel & 3;
        if (rpl < S.Cpl) throw new CpuFault(Vec.GP, sel & 0xFFFC);
        ReadDescriptor(sel, out uint lo, out uint hi);
        if ((hi & 0x1800) != 0x1800) throw new CpuFault(Vec.GP, sel & 0xFFFC);
        if ((hi & 0x8000) == 0) throw new CpuFault(Vec.NP, sel & 0xFFFC);
        if (rpl > S.Cpl)
        {
            uint newEsp = StackPeek(2 * n + extra, sz);
            ushort newSs = (ushort)StackPeek(3 * n + extra, sz);
            ReadDescriptor(newSs, out uint slo, out uint shi);
            LoadSegFromDescriptor(Reg.Cs, sel, lo, hi);
            SetCpl(rpl);
            LoadSegFromDescriptor(Reg.Ss, newSs, slo, shi);
            S.R[Reg.Esp] = newEsp + extra;
        }
        else
        {
            AddEsp(2 * n + extra);
            LoadSegFromDescriptor(Reg.Cs, sel, lo, hi);
        }
        S.Eip = sz == 2 ? eip : eip & 0xFFFF;
    }

    private void Group3(in Instr i, int sz)
    {
        uint m = SizeMask[sz];
        switch (i.RegField)
        {
            case 0: case 1: Alu(4, sz, ReadE(i, sz), (uint)i.Imm & m); break;
            case 2:
            {
                if (i.IsMem) { uint lin = Lin(i); WriteSz(lin, sz, ~ReadSz(lin, sz) & m); }
                else SetReg(i.Rm, sz, ~GetReg(i.Rm, sz) & m);
                break;
            }
            case 3:
            {
                uint lin = i.IsMem ? Lin(i) : 0;
                uint v = i.IsMem ? ReadSz(lin, sz) : GetReg(i.Rm, sz);
                uint r = Alu(5, sz, 0, v);
                if (i.IsMem) WriteSz(lin, sz, r); else SetReg(i.Rm, sz, r);
                break;
            }
            case 4:
            {
                uint v = ReadE(i, sz);
                if (sz == 0)
                {
                    uint r = (S.R[0] & 0xFF) * v;
                    SetReg(0, 1, r);
                    bool hi = (r & 0xFF00) != 0;
                    SetFlagsResult(r, 0, hi, hi);
                }
                else if (sz == 1)
                {
                    uint r = (S.R[0] & 0xFFFF) * v;
                    SetReg(0, 1, r); SetReg(Reg.Edx, 1, r >> 16);
                    bool hi = (r >> 16) != 0;
                    SetFlagsResult(r, 1, hi, hi);
                }
                else
                {
                    ulong r = (ulong)S.R[0] * v;
                    S.R[0] = (uint)r; S.R[Reg.Edx] = (uint)(r >> 32);
                    bool hi = (r >> 32) != 0;
                    SetFlagsResult((uint)r, 2, hi, hi);
                }
                break;
            }
            case 5:
            {
                uint v = ReadE(i, sz);
                if (sz == 0)
                {
                    int r = (sbyte)S.R[0] * (sbyte)v;
                    SetReg(0, 1, (uint)r);
                    bool ovf = r != (sbyte)r;
                    SetFlagsResult((uint)r, 0, ovf, ovf);
                }
                else if (sz == 1)
                {
                    int r = (short)S.R[0] * (short)v;
                    SetReg(0, 1, (uint)r); SetReg(Reg.Edx, 1, (uint)r >> 16);
                    bool ovf = r != (short)r;
                    SetFlagsResult((uint)r, 1, ovf, ovf);
                }
                else
                {
                    long r = (long)(int)S.R[0] * (int)v;
                    S.R[0] = (uint)r; S.R[Reg.Edx] = (uint)((ulong)r >> 32);
                    bool ovf = r != (int)r;
                    SetFlagsResult((uint)r, 2, ovf, ovf);
                }
                break;
            }
            case 6:
            {
                uint v = ReadE(i, sz);
                if (v == 0) throw new CpuFault(Vec.DE);
                if (sz == 0)
                {
                    uint a = S.R[0] & 0xFFFF;
                    uint q = a / v;
                    if (q > 0xFF) throw new CpuFault(Vec.DE);
                    SetReg(0, 1, ((a % v) << 8) | q);
                }
                else if (sz == 1)
                {
                    uint a = (S.R[0] & 0xFFFF) | ((S.R[Reg.Edx] & 0xFFFF) << 16);
                    uint q = a / v;
                    if (q > 0xFFFF) throw new CpuFault(Vec.DE);
                    SetReg(0, 1, q); SetReg(Reg.Edx, 1, a % v);
                }
                else
                {
                    ulong a = ((ulong)S.R[Reg.Edx] << 32) | S.R[0];
                    ulong q = a / v;
                    if (q > 0xFFFFFFFF) throw new CpuFault(Vec.DE);
                    S.R[0] = (uint)q; S.R[Reg.Edx] = (uint)(a % v);
                }
                break;
            }
            default:
            {
                uint v = ReadE(i, sz);
                if (v == 0) throw new CpuFault(Vec.DE);
                if (sz == 0)
                {
                    int a = (short)S.R[0];
                    int d = (sbyte)v;
                    int q = a / d;
                    if (q != (sbyte)q) throw new CpuFault(Vec.DE);
                    SetReg(0, 1, ((uint)(a % d) & 0xFF) << 8 | ((uint)q & 0xFF));
                }
                else if (sz == 1)
                {
                    int a = (int)((S.R[0] & 0xFFFF) | (S.R[Reg.Edx] << 16));
                    int d = (short)v;
                    if (a == int.MinValue && d == -1) throw new CpuFault(Vec.DE);
                    int q = a / d;
                    if (q != (short)q) throw new CpuFault(Vec.DE);
                    SetReg(0, 1, (uint)q); SetReg(Reg.Edx, 1, (uint)(a % d));
                }
                else
                {
                    long a = (long)(((ulong)S.R[Reg.Edx] << 32) | S.R[0]);
                    long d = (int)v;
                    if (a == long.MinValue && d == -1) throw new CpuFault(Vec.DE);
                    long q = a / d;
                    if (q != (int)q) throw new CpuFault(Vec.DE);
                    S.R[0] = (uint)q; S.R[Reg.Edx] = (uint)(a % d);
                }
                break;
            }
        }
    }

    private void Group5(in Instr i)
    {
        int sz = Vsz(i);
        switch (i.RegField)
        {
            case 0: case 1:
            {
                if (i.IsMem)
                {
                    uint lin = Lin(i);
                    uint v = ReadSz(lin, sz);
                    WriteSz(lin, sz, i.RegField == 0 ? Inc(sz, v) : Dec(sz, v));
                }
                else
                {
                    uint v = GetReg(i.Rm, sz);
                    SetReg(i.Rm, sz, i.RegField == 0 ? Inc(sz, v) : Dec(sz, v));
                }
                break;
            }
            case 2:
            {
                uint t = ReadE(i, sz);
                PushSz(S.Eip, sz);
                S.Eip = sz == 1 ? t & 0xFFFF : t;
                break;
            }
            case 4:
            {
                uint t = ReadE(i, sz);
                S.Eip = sz == 1 ? t & 0xFFFF : t;
                break;
            }
            case 3: case 5:
            {
                if (!i.IsMem) throw new CpuFault(Vec.UD);
                uint lin = Lin(i);
                uint off = ReadSz(lin, sz);
                ushort sel = Read16(lin + (sz == 2 ? 4u : 2u));
                if (i.RegField == 3)
                {
                    uint esp = S.R[Reg.Esp];
                    PushSz(S.Seg[Reg.Cs].Selector, sz);
                    PushSz(S.Eip, sz);
                    try { LoadCsFar(sel, off); }
                    catch (CpuFault) { S.R[Reg.Esp] = esp; throw; }
                }
                else
                {
                    LoadCsFar(sel, off);
                }
                break;
            }
            case 6:
            {
                uint v = ReadE(i, sz);
                PushSz(v, sz);
                break;
            }
            default: throw new CpuFault(Vec.UD);
        }
    }

    private void BitOp(in Instr i, int kind, bool regOffset, int imm)
    {
        int sz = Vsz(i);
        int bits = SizeBits[sz];
        uint bit;
        uint lin = 0;
        uint v;
        if (i.IsMem)
        {
            lin = Lin(i);
            if (regOffset)
            {
                int off = sz == 2 ? (int)S.R[i.RegField] : (short)S.R[i.RegField];
                lin += (uint)((off >> (sz == 2 ? 5 : 4)) * (bits / 8));
                bit = (uint)off & (uint)(bits - 1);
            }
            else
            {
                bit = (uint)imm & (uint)(bits - 1);
            }
            v = ReadSz(lin, sz);
        }
        else
        {
            bit = (regOffset ? S.R[i.RegField] : (uint)imm) & (uint)(bits - 1);
            v = GetReg(i.Rm, sz);
        }
        bool cf = ((v >> (int)bit) & 1) != 0;
        SetFlag(Fl.CF, cf);
        if (kind == 0) return;
        uint r = kind switch { 1 => v | (1u << (int)bit), 2 => v & ~(1u << (int)bit), _ => v ^ (1u << (int)bit) };
        if (i.IsMem) WriteSz(lin, sz, r); else SetReg(i.Rm, sz, r);
    }

    // ---- BCD (SDM vol. 2 pseudo-code) ----

    private void Daa()
    {
        uint al = S.R[0] & 0xFF;
        bool cf = GetCF(), af = GetAF();
        uint oldAl = al;
        bool newCf = false;
        if ((al & 0xF) > 9 || af) { al += 6; newCf = cf || al > 0xFF; af = true; } else af = false;
        if (oldAl > 0x99 || cf) { al += 0x60; newCf = true; }
        al &= 0xFF;
        SetReg(0, 0, al);
        SetFlagsResult(al, 0, newCf, false, af);
    }

    private void Das()
    {
        uint al = S.R[0] & 0xFF;
        bool cf = GetCF(), af = GetAF();
        uint oldAl = al;
        bool newCf = false;
        if ((al & 0xF) > 9 || af) { newCf = cf || al < 6; al -= 6; af = true; } else af = false;
        if (oldAl > 0x99 || cf) { al -= 0x60; newCf = true; }
        al &= 0xFF;
        SetReg(0, 0, al);
        SetFlagsResult(al, 0, newCf, false, af);
    }

    private void Aaa()
    {
        uint ax = S.R[0] & 0xFFFF;
        bool c = (ax & 0xF) > 9 || GetAF();
        if (c) ax = ((ax + 0x106) & 0xFF0F) ; else ax &= 0xFF0F;
        SetReg(0, 1, ax);
        SetFlagsResult(ax & 0xFF, 0, c, false, c);
    }

    private void Aas()
    {
        uint ax = S.R[0] & 0xFFFF;
        bool c = (ax & 0xF) > 9 || GetAF();
        if (c)
        {
            // As P6 and later do: AX -= 6 (a borrow reaches AH), then AH -= 1.
            uint t = (ax - 6) & 0xFFFF;
            uint ah = ((t >> 8) - 1) & 0xFF;
            ax = (ah << 8) | (t & 0x0F);
        }
        else ax &= 0xFF0F;
        SetReg(0, 1, ax);
        SetFlagsResult(ax & 0xFF, 0, c, false, c);
    }
}
