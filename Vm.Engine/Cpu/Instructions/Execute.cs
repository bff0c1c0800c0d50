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
    internal uint Lin(in Instr i) => S.Seg[i.Seg].Base + Ea(i);

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
                MaterializeFlags();
                cf = (r & 1) != 0;
                of = ((r & msb) != 0) ^ cf;
                S.Eflags = (S.Eflags & ~(Fl.CF | Fl.OF)) | (cf ? Fl.CF : 0) | (of ? Fl.OF : 0);
                return r;
            }
            case 1: // ROR
            {
                int c = count % bits;
                r = c == 0 ? a : ((a >> c) | (a << (bits - c))) & m;
                MaterializeFlags();
                cf = (r & msb) != 0;
                of = ((r ^ (r << 1)) & msb) != 0;
                S.Eflags = (S.Eflags & ~(Fl.CF | Fl.OF)) | (cf ? Fl.CF : 0) | (of ? Fl.OF : 0);
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
                SetFlagsResult(r, sz, cf, of, false);
                return r;
            case 5: // SHR
                r = count >= 32 ? 0 : a >> count;
                cf = ((a >> (count - 1)) & 1) != 0;
                of = (a & msb) != 0;
                SetFlagsResult(r, sz, cf, count == 1 && of, false);
                return r;
            default: // SAR
            {
                int sa = bits == 32 ? (int)a : bits == 16 ? (short)a : (sbyte)a;
                int c = count > bits - 1 ? bits - 1 : count;
                r = (uint)(sa >> c) & m;
                cf = ((sa >> (count >= bits ? bits - 1 : count - 1)) & 1) != 0;
                SetFlagsResult(r, sz, cf, false, false);
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
            // 16-bit: operate on the 48-bit concatenation dst:src:dst as hardware does for counts > 16.
            ulong v = left ? ((ulong)dst << 32) | ((ulong)src << 16) | dst : ((ulong)dst << 32) | ((ulong)src << 16) | dst;
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
            _ = v;
        }
        r &= m;
        bool of = ((r ^ dst) >> (bits - 1) & 1) != 0;
        SetFlagsResult(r, sz, cf, of, false);
        return r;
    }

    // ---- the dispatch ----

    internal void Execute(in Instr i)
    {
        int op = i.Op;
        switch (op)
        {
            // ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz
            case 0x00: case 0x08: case 0x10: case 0x18: case 0x20: case 0x28: case 0x30: case 0x38:
            case 0x01: case 0x09: case 0x11: case 0x19: case 0x21: case 0x29: case 0x31: case 0x39:
            {
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
                break;
            }
            case 0x02: case 0x0A: case 0x12: case 0x1A: case 0x22: case 0x2A: case 0x32: case 0x3A:
            case 0x03: case 0x0B: case 0x13: case 0x1B: case 0x23: case 0x2B: case 0x33: case 0x3B:
            {
                int sz = (op & 1) == 0 ? 0 : Vsz(i);
                int aop = op >> 3;
                uint r = Alu(aop, sz, GetReg(i.RegField, sz), ReadE(i, sz));
                if (aop != 7) SetReg(i.RegField, sz, r);
                break;
            }
            case 0x04: case 0x0C: case 0x14: case 0x1C: case 0x24: case 0x2C: case 0x34: case 0x3C:
            case 0x05: case 0x0D: case 0x15: case 0x1D: case 0x25: case 0x2D: case 0x35: case 0x3D:
            {
                int sz = (op & 1) == 0 ? 0 : Vsz(i);
                int aop = op >> 3;
                uint r = Alu(aop, sz, GetReg(0, sz), (uint)i.Imm & SizeMask[sz]);
                if (aop != 7) SetReg(0, sz, r);
                break;
            }
            case 0x06: PushSz(S.Seg[Reg.Es].Selector, Vsz(i)); break;
            case 0x0E: PushSz(S.Seg[Reg.Cs].Selector, Vsz(i)); break;
            case 0x16: PushSz(S.Seg[Reg.Ss].Selector, Vsz(i)); break;
            case 0x1E: PushSz(S.Seg[Reg.Ds].Selector, Vsz(i)); break;
            case 0x1A0: PushSz(S.Seg[Reg.Fs].Selector, Vsz(i)); break;
            case 0x1A8: PushSz(S.Seg[Reg.Gs].Selector, Vsz(i)); break;
            case 0x07: PopSeg(Reg.Es, i); break;
            case 0x17: PopSeg(Reg.Ss, i); _interruptShadow = true; break;
            case 0x1F: PopSeg(Reg.Ds, i); break;
            case 0x1A1: PopSeg(Reg.Fs, i); break;
            case 0x1A9: PopSeg(Reg.Gs, i); break;
            case 0x27: Daa(); break;
            case 0x2F: Das(); break;
            case 0x37: Aaa(); break;
            case 0x3F: Aas(); break;
            case >= 0x40 and <= 0x47: { int sz = Vsz(i); SetReg(op & 7, sz, Inc(sz, GetReg(op & 7, sz))); break; }
            case >= 0x48 and <= 0x4F: { int sz = Vsz(i); SetReg(op & 7, sz, Dec(sz, GetReg(op & 7, sz))); break; }
            case >= 0x50 and <= 0x57:
                if (i.O16) Push16(S.R[op & 7]); else Push32(S.R[op & 7]);
                break;
            case >= 0x58 and <= 0x5F:
            {
                int sz = Vsz(i);
                uint v = PopSz(sz);
                SetReg(op & 7, sz, v);
                break;
            }
            case 0x60:
            {
                int sz = Vsz(i);
                uint esp = S.R[Reg.Esp];
                for (int r = 0; r < 8; r++) PushSz(r == Reg.Esp ? esp : S.R[r], sz);
                break;
            }
            case 0x61:
            {
                int sz = Vsz(i);
                for (int r = 7; r >= 0; r--)
                {
                    uint v = PopSz(sz);
                    if (r != Reg.Esp) SetReg(r, sz, v);
                }
                break;
            }
            case 0x62:
            {
                if (!i.IsMem) throw new CpuFault(Vec.UD);
                int sz = Vsz(i);
                uint lin = Lin(i);
                int idx, lo, hi;
                if (sz == 2) { idx = (int)S.R[i.RegField]; lo = (int)Read32(lin); hi = (int)Read32(lin + 4); }
                else { idx = (short)S.R[i.RegField]; lo = (short)Read16(lin); hi = (short)Read16(lin + 2); }
                if (idx < lo || idx > hi) throw new CpuFault(Vec.BR);
                break;
            }
            case 0x68: PushSz((uint)i.Imm, Vsz(i)); break;
            case 0x6A: PushSz((uint)i.Imm, Vsz(i)); break;
            case 0x69: case 0x6B: case 0x1AF:
            {
                int sz = Vsz(i);
                long a = sz == 2 ? (int)ReadE(i, sz) : (short)ReadE(i, sz);
                long b = op == 0x1AF ? (sz == 2 ? (int)S.R[i.RegField] : (short)S.R[i.RegField]) : i.Imm;
                long r = a * b;
                bool ovf = sz == 2 ? r != (int)r : r != (short)r;
                SetReg(i.RegField, sz, (uint)r);
                SetFlagsResult((uint)r, sz, ovf, ovf);
                break;
            }
            case 0x6C: case 0x6D: Ins(i, op == 0x6C ? 0 : Vsz(i)); break;
            case 0x6E: case 0x6F: Outs(i, op == 0x6E ? 0 : Vsz(i)); break;
            case >= 0x70 and <= 0x7F:
                if (Cond(op & 15)) Jump(S.Eip + (uint)i.Imm, i);
                break;
            case >= 0x180 and <= 0x18F:
                if (Cond(op & 15)) Jump(S.Eip + (uint)i.Imm, i);
                break;
            case 0x80: case 0x81: case 0x82: case 0x83:
            {
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
                break;
            }
            case 0x84: case 0x85:
            {
                int sz = op == 0x84 ? 0 : Vsz(i);
                Alu(4, sz, ReadE(i, sz), GetReg(i.RegField, sz));
                break;
            }
            case 0xA8: Alu(4, 0, GetReg(0, 0), (uint)i.Imm & 0xFF); break;
            case 0xA9: { int sz = Vsz(i); Alu(4, sz, GetReg(0, sz), (uint)i.Imm & SizeMask[sz]); break; }
            case 0x86: case 0x87:
            {
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
                break;
            }
            case 0x88: WriteE(i, 0, GetReg(i.RegField, 0)); break;
            case 0x89:
                if (i.O16) WriteE(i, 1, S.R[i.RegField]);
                else if (i.IsMem) Write32(Lin(i), S.R[i.RegField]);
                else S.R[i.Rm] = S.R[i.RegField];
                break;
            case 0x8A: SetReg(i.RegField, 0, ReadE(i, 0)); break;
            case 0x8B:
                if (i.O16) SetReg(i.RegField, 1, ReadE(i, 1));
                else S.R[i.RegField] = i.IsMem ? Read32(Lin(i)) : S.R[i.Rm];
                break;
            case 0x8C:
            {
                if (i.RegField > 5) throw new CpuFault(Vec.UD);
                uint sel = S.Seg[i.RegField].Selector;
                if (i.IsMem) Write16(Lin(i), (ushort)sel);
                else SetReg(i.Rm, i.O16 ? 1 : 2, sel);
                break;
            }
            case 0x8D:
                if (!i.IsMem) throw new CpuFault(Vec.UD);
                SetReg(i.RegField, Vsz(i), Ea(i));
                break;
            case 0x8E:
            {
                int s = i.RegField;
                if (s == Reg.Cs || s > 5) throw new CpuFault(Vec.UD);
                LoadSegment(s, (ushort)ReadE(i, 1));
                if (s == Reg.Ss) _interruptShadow = true;
                break;
            }
            case 0x8F:
            {
                int sz = Vsz(i);
                uint esp = S.R[Reg.Esp];
                uint v = PopSz(sz);
                try { WriteE(i, sz, v); }
                catch (CpuFault) { S.R[Reg.Esp] = esp; throw; }
                break;
            }
            case 0x90: break;
            case >= 0x91 and <= 0x97:
            {
                int sz = Vsz(i);
                uint a = GetReg(0, sz);
                SetReg(0, sz, GetReg(op & 7, sz));
                SetReg(op & 7, sz, a);
                break;
            }
            case 0x98:
                if (i.O16) SetReg(0, 1, (uint)(sbyte)S.R[0]);
                else S.R[0] = (uint)(short)S.R[0];
                break;
            case 0x99:
                if (i.O16) SetReg(Reg.Edx, 1, (S.R[0] & 0x8000) != 0 ? 0xFFFFu : 0);
                else S.R[Reg.Edx] = (S.R[0] & 0x80000000) != 0 ? 0xFFFFFFFFu : 0;
                break;
            case 0x9A:
            {
                int sz = Vsz(i);
                ushort oldCs = S.Seg[Reg.Cs].Selector;
                uint ret = S.Eip;
                uint esp = S.R[Reg.Esp];
                PushSz(oldCs, sz);
                PushSz(ret, sz);
                try { LoadCsFar((ushort)i.Imm2, (uint)i.Imm); }
                catch (CpuFault) { S.R[Reg.Esp] = esp; throw; }
                break;
            }
            case 0x9B:
                if ((S.Cr0 & 0xA) == 0xA) throw new CpuFault(Vec.NM);
                break;
            case 0x9C:
                if ((S.Eflags & Fl.VM) != 0 && ((S.Eflags >> 12) & 3) != 3) throw new CpuFault(Vec.GP, 0);
                PushSz(GetEflags() & 0x00FCFFFF, Vsz(i));
                break;
            case 0x9D:
            {
                int sz = Vsz(i);
                uint v = PopSz(sz);
                WriteEflags(v, PopfMask(sz == 1));
                break;
            }
            case 0x9E:
            {
                MaterializeFlags();
                uint ah = (S.R[0] >> 8) & 0xFF;
                const uint m = Fl.SF | Fl.ZF | Fl.AF | Fl.PF | Fl.CF;
                S.Eflags = (S.Eflags & ~m) | (ah & m);
                break;
            }
            case 0x9F:
                SetReg(4, 0, (GetEflags() & 0xD5) | 2);
                break;
            case 0xA0: SetReg(0, 0, Read8(S.Seg[i.Seg].Base + MoffsAddr(i))); break;
            case 0xA1: { int sz = Vsz(i); SetReg(0, sz, ReadSz(S.Seg[i.Seg].Base + MoffsAddr(i), sz)); break; }
            case 0xA2: Write8(S.Seg[i.Seg].Base + MoffsAddr(i), (byte)S.R[0]); break;
            case 0xA3: { int sz = Vsz(i); WriteSz(S.Seg[i.Seg].Base + MoffsAddr(i), sz, S.R[0]); break; }
            case 0xA4: case 0xA5: Movs(i, op == 0xA4 ? 0 : Vsz(i)); break;
            case 0xA6: case 0xA7: Cmps(i, op == 0xA6 ? 0 : Vsz(i)); break;
            case 0xAA: case 0xAB: Stos(i, op == 0xAA ? 0 : Vsz(i)); break;
            case 0xAC: case 0xAD: Lods(i, op == 0xAC ? 0 : Vsz(i)); break;
            case 0xAE: case 0xAF: Scas(i, op == 0xAE ? 0 : Vsz(i)); break;
            case >= 0xB0 and <= 0xB7: SetReg(op & 7, 0, (uint)i.Imm); break;
            case >= 0xB8 and <= 0xBF: SetReg(op & 7, Vsz(i), (uint)i.Imm); break;
            case 0xC0: case 0xC1: case 0xD0: case 0xD1: case 0xD2: case 0xD3:
            {
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
                break;
            }
            case 0xC2: case 0xC3:
            {
                int sz = Vsz(i);
                uint ret = PopSz(sz);
                if (op == 0xC2) AddEsp((uint)i.Imm & 0xFFFF);
                S.Eip = sz == 1 ? ret & 0xFFFF : ret;
                break;
            }
            case 0xC4: case 0xC5: case 0x1B2: case 0x1B4: case 0x1B5:
            {
                if (!i.IsMem) throw new CpuFault(Vec.UD);
                int sz = Vsz(i);
                uint lin = Lin(i);
                uint off = ReadSz(lin, sz);
                ushort sel = Read16(lin + (sz == 2 ? 4u : 2u));
                int s = op switch { 0xC4 => Reg.Es, 0xC5 => Reg.Ds, 0x1B2 => Reg.Ss, 0x1B4 => Reg.Fs, _ => Reg.Gs };
                LoadSegment(s, sel);
                SetReg(i.RegField, sz, off);
                break;
            }
            case 0xC6: WriteE(i, 0, (uint)i.Imm); break;
            case 0xC7: WriteE(i, Vsz(i), (uint)i.Imm); break;
            case 0xC8: Enter(i); break;
            case 0xC9:
            {
                int sz = Vsz(i);
                if (S.Seg[Reg.Ss].Big) S.R[Reg.Esp] = S.R[Reg.Ebp];
                else S.R[Reg.Esp] = (S.R[Reg.Esp] & 0xFFFF0000) | (S.R[Reg.Ebp] & 0xFFFF);
                SetReg(Reg.Ebp, sz, PopSz(sz));
                break;
            }
            case 0xCA: case 0xCB: RetFar(i, op == 0xCA ? (uint)i.Imm & 0xFFFF : 0); break;
            case 0xCC: DeliverInterrupt(Vec.BP, -1, S.Eip, true); break;
            case 0xCD: DeliverInterrupt(i.Imm & 0xFF, -1, S.Eip, true); break;
            case 0xCE: if (GetOF()) DeliverInterrupt(Vec.OF, -1, S.Eip, true); break;
            case 0xF1: DeliverInterrupt(Vec.DB, -1, S.Eip, false); break;
            case 0xCF: Iret(i.O16); break;
            case 0xD4:
            {
                uint b = (uint)i.Imm & 0xFF;
                if (b == 0) throw new CpuFault(Vec.DE);
                uint al = S.R[0] & 0xFF;
                uint r = ((al / b) << 8) | (al % b);
                SetReg(0, 1, r);
                SetFlagsResult(r & 0xFF, 0, false, false);
                break;
            }
            case 0xD5:
            {
                uint b = (uint)i.Imm & 0xFF;
                uint r = ((S.R[0] & 0xFF) + ((S.R[0] >> 8) & 0xFF) * b) & 0xFF;
                SetReg(0, 1, r);
                SetFlagsResult(r, 0, false, false);
                break;
            }
            case 0xD6: SetReg(0, 0, GetCF() ? 0xFFu : 0); break;
            case 0xD7:
            {
                uint a = S.R[Reg.Ebx] + (S.R[0] & 0xFF);
                if (i.A16) a &= 0xFFFF;
                SetReg(0, 0, Read8(S.Seg[i.Seg].Base + a));
                break;
            }
            case >= 0xD8 and <= 0xDF: Fpu(i); break;
            case 0xE0: case 0xE1: case 0xE2:
            {
                uint c;
                if (i.A16) { c = (S.R[Reg.Ecx] - 1) & 0xFFFF; SetReg(Reg.Ecx, 1, c); }
                else { c = S.R[Reg.Ecx] - 1; S.R[Reg.Ecx] = c; }
                bool take = c != 0 && (op == 0xE2 || (op == 0xE1 ? GetZF() : !GetZF()));
                if (take) Jump(S.Eip + (uint)i.Imm, i);
                break;
            }
            case 0xE3:
                if ((i.A16 ? S.R[Reg.Ecx] & 0xFFFF : S.R[Reg.Ecx]) == 0) Jump(S.Eip + (uint)i.Imm, i);
                break;
            case 0xE4: SetReg(0, 0, PortIn((ushort)(i.Imm & 0xFF), 0)); break;
            case 0xE5: { int sz = Vsz(i); SetReg(0, sz, PortIn((ushort)(i.Imm & 0xFF), sz)); break; }
            case 0xE6: PortOut((ushort)(i.Imm & 0xFF), 0, S.R[0]); break;
            case 0xE7: PortOut((ushort)(i.Imm & 0xFF), Vsz(i), S.R[0]); break;
            case 0xEC: SetReg(0, 0, PortIn((ushort)S.R[Reg.Edx], 0)); break;
            case 0xED: { int sz = Vsz(i); SetReg(0, sz, PortIn((ushort)S.R[Reg.Edx], sz)); break; }
            case 0xEE: PortOut((ushort)S.R[Reg.Edx], 0, S.R[0]); break;
            case 0xEF: PortOut((ushort)S.R[Reg.Edx], Vsz(i), S.R[0]); break;
            case 0xE8:
            {
                int sz = Vsz(i);
                PushSz(S.Eip, sz);
                Jump(S.Eip + (uint)i.Imm, i);
                break;
            }
            case 0xE9: case 0xEB: Jump(S.Eip + (uint)i.Imm, i); break;
            case 0xEA: LoadCsFar((ushort)i.Imm2, (uint)i.Imm); break;
            case 0xF4:
                Privileged();
                if ((S.Eflags & Fl.IF) == 0)
                {
                    StopReason = "halted with interrupts disabled";
                }
                Halted = true;
                StopBlock = true;
                break;
            case 0xF5: SetFlag(Fl.CF, !GetCF()); break;
            case 0xF6: case 0xF7: Group3(i, op == 0xF6 ? 0 : Vsz(i)); break;
            case 0xF8: SetFlag(Fl.CF, false); break;
            case 0xF9: SetFlag(Fl.CF, true); break;
            case 0xFA:
                if ((S.Cr0 & 1) != 0 && S.Cpl > (int)((S.Eflags >> 12) & 3)) throw new CpuFault(Vec.GP, 0);
                S.Eflags &= ~Fl.IF;
                break;
            case 0xFB:
                if ((S.Cr0 & 1) != 0 && S.Cpl > (int)((S.Eflags >> 12) & 3)) throw new CpuFault(Vec.GP, 0);
                if ((S.Eflags & Fl.IF) == 0) _interruptShadow = true;
                S.Eflags |= Fl.IF;
                break;
            case 0xFC: S.Eflags &= ~Fl.DF; break;
            case 0xFD: S.Eflags |= Fl.DF; break;
            case 0xFE:
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
                break;
            }
            case 0xFF: Group5(i); break;

            // ---- 0F map ----
            case 0x100: Group6(i); break;
            case 0x101: Group7(i); break;
            case 0x102: case 0x103: LarLsl(i, op == 0x102); break;
            case 0x106: Privileged(); S.Cr0 &= ~8u; break;
            case 0x108: case 0x109: Privileged(); break;
            case 0x10B: throw new CpuFault(Vec.UD);
            case >= 0x118 and <= 0x11F: break; // hint NOPs (0F 1F /0 is NOPL)
            case 0x120:
            {
                Privileged();
                uint v = i.RegField switch { 0 => S.Cr0, 2 => S.Cr2, 3 => S.Cr3, 4 => S.Cr4, _ => throw new CpuFault(Vec.UD) };
                S.R[i.Rm] = v;
                break;
            }
            case 0x122: Privileged(); WriteCr(i.RegField, S.R[i.Rm]); break;
            case 0x121: Privileged(); S.R[i.Rm] = _dr[i.RegField]; break;
            case 0x123: Privileged(); _dr[i.RegField] = S.R[i.Rm]; break;
            case 0x130: Privileged(); WriteMsr(S.R[Reg.Ecx], ((ulong)S.R[Reg.Edx] << 32) | S.R[0]); break;
            case 0x131:
            {
                if ((S.Cr4 & 4) != 0 && S.Cpl != 0) throw new CpuFault(Vec.GP, 0);
                ulong t = Tsc();
                S.R[0] = (uint)t; S.R[Reg.Edx] = (uint)(t >> 32);
                break;
            }
            case 0x132:
            {
                Privileged();
                ulong v = ReadMsr(S.R[Reg.Ecx]);
                S.R[0] = (uint)v; S.R[Reg.Edx] = (uint)(v >> 32);
                break;
            }
            case >= 0x140 and <= 0x14F:
            {
                int sz = Vsz(i);
                uint v = ReadE(i, sz);
                if (Cond(op & 15)) SetReg(i.RegField, sz, v);
                break;
            }
            case >= 0x190 and <= 0x19F: WriteE(i, 0, Cond(op & 15) ? 1u : 0); break;
            case 0x1A2: Cpuid(); break;
            case 0x1A3: case 0x1AB: case 0x1B3: case 0x1BB: BitOp(i, op switch { 0x1A3 => 0, 0x1AB => 1, 0x1B3 => 2, _ => 3 }, true, 0); break;
            case 0x1BA:
                if (i.RegField < 4) throw new CpuFault(Vec.UD);
                BitOp(i, i.RegField - 4, false, i.Imm & 0xFF);
                break;
            case 0x1A4: case 0x1A5: case 0x1AC: case 0x1AD:
            {
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
                break;
            }
            case 0x1B0: case 0x1B1:
            {
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
                break;
            }
            case 0x1B6: SetReg(i.RegField, Vsz(i), ReadE(i, 0)); break;
            case 0x1B7: SetReg(i.RegField, Vsz(i), ReadE(i, 1)); break;
            case 0x1BE: SetReg(i.RegField, Vsz(i), (uint)(sbyte)ReadE(i, 0)); break;
            case 0x1BF: SetReg(i.RegField, Vsz(i), (uint)(short)ReadE(i, 1)); break;
            case 0x1BC: case 0x1BD:
            {
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
                break;
            }
            case 0x1C0: case 0x1C1:
            {
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
                break;
            }
            case 0x1C7:
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
                break;
            }
            case >= 0x1C8 and <= 0x1CF: S.R[op & 7] = BinaryPrimitives_ReverseEndianness(S.R[op & 7]); break;
            default:
                throw new CpuFault(Vec.UD);
        }
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
