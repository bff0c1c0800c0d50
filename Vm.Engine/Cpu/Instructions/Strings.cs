using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>String instructions with REP/REPE/REPNE; registers advance per element so a fault restarts cleanly.</summary>
public sealed unsafe partial class X86Cpu
{
    private uint AddrMask(in Instr i) => i.A16 ? 0xFFFFu : 0xFFFFFFFFu;

    private uint Idx(int r, in Instr i) => S.R[r] & AddrMask(i);

    private void Advance(int r, in Instr i, int delta)
    {
        if (i.A16) S.R[r] = (S.R[r] & 0xFFFF0000) | ((S.R[r] + (uint)delta) & 0xFFFF);
        else S.R[r] += (uint)delta;
    }

    private int Step(int sz) => (S.Eflags & Fl.DF) != 0 ? -(1 << sz) : 1 << sz;

    private void Movs(in Instr i, int sz)
    {
        int d = Step(sz);
        uint srcBase = S.Seg[i.Seg].Base, dstBase = S.Seg[Reg.Es].Base;
        if (!i.HasRep)
        {
            uint v = ReadSz(srcBase + Idx(Reg.Esi, i), sz);
            WriteSz(dstBase + Idx(Reg.Edi, i), sz, v);
            Advance(Reg.Esi, i, d); Advance(Reg.Edi, i, d);
            return;
        }
        if (!i.A16 && sz == 2 && d > 0) { MovsFast32(srcBase, dstBase); return; }
        while (Idx(Reg.Ecx, i) != 0)
        {
            uint v = ReadSz(srcBase + Idx(Reg.Esi, i), sz);
            WriteSz(dstBase + Idx(Reg.Edi, i), sz, v);
            Advance(Reg.Esi, i, d); Advance(Reg.Edi, i, d);
            Advance(Reg.Ecx, i, -1);
        }
    }

    /// <summary>REP MOVSD forward with 32-bit addressing: copy page-sized runs through the TLB.</summary>
    private void MovsFast32(uint srcBase, uint dstBase)
    {
        while (S.R[Reg.Ecx] != 0)
        {
            uint s = srcBase + S.R[Reg.Esi], t = dstBase + S.R[Reg.Edi];
            uint es = _tlbRead[s >> 12], et = _tlbWrite[t >> 12];
            uint room = Math.Min(4096 - (s & 0xFFF), 4096 - (t & 0xFFF)) >> 2;
            if ((es & 0xFFF) != 0 || (et & 0xFFF) != 0 || room == 0 || _mem.CodePages[et >> 12] != 0)
            {
                Write32(t, Read32(s));
                S.R[Reg.Esi] += 4; S.R[Reg.Edi] += 4; S.R[Reg.Ecx]--;
                continue;
            }
            uint n = Math.Min(room, S.R[Reg.Ecx]);
            byte* ps = _ram + (es | (s & 0xFFF)), pt = _ram + (et | (t & 0xFFF));
            // Overlapping forward copies must behave element by element.
            if (pt > ps && pt < ps + n * 4)
            {
                for (uint k = 0; k < n; k++) ((uint*)pt)[k] = ((uint*)ps)[k];
            }
            else
            {
                Buffer.MemoryCopy(ps, pt, n * 4, n * 4);
            }
            S.R[Reg.Esi] += n * 4; S.R[Reg.Edi] += n * 4; S.R[Reg.Ecx] -= n;
        }
    }

    private void Stos(in Instr i, int sz)
    {
        int d = Step(sz);
        uint dstBase = S.Seg[Reg.Es].Base;
        uint v = GetReg(0, sz);
        if (!i.HasRep)
        {
            WriteSz(dstBase + Idx(Reg.Edi, i), sz, v);
            Advance(Reg.Edi, i, d);
            return;
        }
        if (!i.A16 && d > 0 && sz != 1)
        {
            StosFast(dstBase, sz, v);
            return;
        }
        while (Idx(Reg.Ecx, i) != 0)
        {
            WriteSz(dstBase + Idx(Reg.Edi, i), sz, v);
            Advance(Reg.Edi, i, d);
            Advance(Reg.Ecx, i, -1);
        }
    }

    private void StosFast(uint dstBase, int sz, uint v)
    {
        int w = 1 << sz;
        while (S.R[Reg.Ecx] != 0)
        {
            uint t = dstBase + S.R[Reg.Edi];
            uint et = _tlbWrite[t >> 12];
            uint room = (4096 - (t & 0xFFF)) >> sz;
            if ((et & 0xFFF) != 0 || room == 0 || _mem.CodePages[et >> 12] != 0)
            {
                WriteSz(t, sz, v);
                S.R[Reg.Edi] += (uint)w; S.R[Reg.Ecx]--;
                continue;
            }
            uint n = Math.Min(room, S.R[Reg.Ecx]);
            byte* pt = _ram + (et | (t & 0xFFF));
            if (sz == 0) new Span<byte>(pt, (int)n).Fill((byte)v);
            else new Span<uint>(pt, (int)n).Fill(v);
            S.R[Reg.Edi] += n << sz; S.R[Reg.Ecx] -= n;
        }
    }

    private void Lods(in Instr i, int sz)
    {
        int d = Step(sz);
        uint srcBase = S.Seg[i.Seg].Base;
        if (!i.HasRep)
        {
            SetReg(0, sz, ReadSz(srcBase + Idx(Reg.Esi, i), sz));
            Advance(Reg.Esi, i, d);
            return;
        }
        while (Idx(Reg.Ecx, i) != 0)
        {
            SetReg(0, sz, ReadSz(srcBase + Idx(Reg.Esi, i), sz));
            Advance(Reg.Esi, i, d);
            Advance(Reg.Ecx, i, -1);
        }
    }

    private void Cmps(in Instr i, int sz)
    {
        int d = Step(sz);
        uint srcBase = S.Seg[i.Seg].Base, dstBase = S.Seg[Reg.Es].Base;
        if (!i.HasRep)
        {
            uint a = ReadSz(srcBase + Idx(Reg.Esi, i), sz);
            uint b = ReadSz(dstBase + Idx(Reg.Edi, i), sz);
            Alu(7, sz, a, b);
            Advance(Reg.Esi, i, d); Advance(Reg.Edi, i, d);
            return;
        }
        bool repe = (i.Pfx & Pfx.Rep) != 0;
        while (Idx(Reg.Ecx, i) != 0)
        {
            uint a = ReadSz(srcBase + Idx(Reg.Esi, i), sz);
            uint b = ReadSz(dstBase + Idx(Reg.Edi, i), sz);
            Alu(7, sz, a, b);
            Advance(Reg.Esi, i, d); Advance(Reg.Edi, i, d);
            Advance(Reg.Ecx, i, -1);
            if (GetZF() != repe) break;
        }
    }

    private void Scas(in Instr i, int sz)
    {
        int d = Step(sz);
        uint dstBase = S.Seg[Reg.Es].Base;
        uint a = GetReg(0, sz);
        if (!i.HasRep)
        {
            Alu(7, sz, a, ReadSz(dstBase + Idx(Reg.Edi, i), sz));
            Advance(Reg.Edi, i, d);
            return;
        }
        bool repe = (i.Pfx & Pfx.Rep) != 0;
        while (Idx(Reg.Ecx, i) != 0)
        {
            Alu(7, sz, a, ReadSz(dstBase + Idx(Reg.Edi, i), sz));
            Advance(Reg.Edi, i, d);
            Advance(Reg.Ecx, i, -1);
            if (GetZF() != repe) break;
        }
    }

    private void Ins(in Instr i, int sz)
    {
        int d = Step(sz);
        ushort port = (ushort)S.R[Reg.Edx];
        do
        {
            if (i.HasRep && Idx(Reg.Ecx, i) == 0) break;
            uint v = PortIn(port, sz);
            WriteSz(S.Seg[Reg.Es].Base + Idx(Reg.Edi, i), sz, v);
            Advance(Reg.Edi, i, d);
            if (i.HasRep) Advance(Reg.Ecx, i, -1);
        } while (i.HasRep);
    }

    private void Outs(in Instr i, int sz)
    {
        int d = Step(sz);
        ushort port = (ushort)S.R[Reg.Edx];
        do
        {
            if (i.HasRep && Idx(Reg.Ecx, i) == 0) break;
            uint v = ReadSz(S.Seg[i.Seg].Base + Idx(Reg.Esi, i), sz);
            PortOut(port, sz, v);
            Advance(Reg.Esi, i, d);
            if (i.HasRep) Advance(Reg.Ecx, i, -1);
        } while (i.HasRep);
    }
}
