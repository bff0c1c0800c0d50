using Vm.Engine.Cpu.State;
using Vm.Engine.Snapshots;

namespace Vm.Engine.Cpu;

/// <summary>
/// The CPU in a snapshot: registers with their segment caches, control and table registers,
/// EFLAGS with the lazy arithmetic flags made concrete, the x87 state, MSRs, debug registers,
/// the retired-instruction count (the deterministic clock runs on it), halt and interrupt shadow.
/// The TLB and the decoded-block caches are not saved: a restore drops them and they refill.
/// </summary>
public sealed unsafe partial class X86Cpu : ISnapshotState
{
    public string SnapshotSection => "cpu";
    public int SnapshotVersion => 2; // 2: x87 registers in the 80-bit format (1 held doubles)

    public void SaveState(BinaryWriter w)
    {
        for (int i = 0; i < 8; i++) w.Write(S.R[i]);
        w.Write(S.Eip);
        w.Write(GetEflags());
        for (int i = 0; i < 6; i++) WriteSegment(w, S.Seg[i]);
        w.Write(S.Cr0); w.Write(S.Cr2); w.Write(S.Cr3); w.Write(S.Cr4);
        w.Write(S.GdtBase); w.Write(S.GdtLimit); w.Write(S.IdtBase); w.Write(S.IdtLimit);
        WriteSegment(w, S.Ldtr);
        WriteSegment(w, S.Tr);
        w.Write(S.Cpl);
        w.Write(S.TscOffset);
        w.Write(S.SysenterCs); w.Write(S.SysenterEsp); w.Write(S.SysenterEip);

        for (int i = 0; i < 8; i++) { w.Write(_st[i].Mant); w.Write(_st[i].SignExp); }
        w.Write(_top); w.Write(_fcw); w.Write(_fsw); w.Write(_fempty);
        w.Write(_fip); w.Write(_fdp); w.Write(_fcs); w.Write(_fds); w.Write(_fop);

        w.Write(_msrs.Count);
        foreach (var (k, v) in _msrs.OrderBy(p => p.Key)) { w.Write(k); w.Write(v); }
        for (int i = 0; i < 8; i++) w.Write(_dr[i]);

        w.Write(InstructionCount);
        w.Write(Halted);
        w.Write(_interruptShadow);
        w.Write(StopReason ?? "");
    }

    public void RestoreState(BinaryReader r, int version)
    {
        // Reset drops the lazy flags, the TLB and the FPU; then every saved field is set.
        Reset();
        FlushCodeCache();
        var s = default(CpuState);
        for (int i = 0; i < 8; i++) s.R[i] = r.ReadUInt32();
        s.Eip = r.ReadUInt32();
        s.Eflags = r.ReadUInt32();
        for (int i = 0; i < 6; i++) s.Seg[i] = ReadSegment(r);
        s.Cr0 = r.ReadUInt32(); s.Cr2 = r.ReadUInt32(); s.Cr3 = r.ReadUInt32(); s.Cr4 = r.ReadUInt32();
        s.GdtBase = r.ReadUInt32(); s.GdtLimit = r.ReadUInt32(); s.IdtBase = r.ReadUInt32(); s.IdtLimit = r.ReadUInt32();
        s.Ldtr = ReadSegment(r);
        s.Tr = ReadSegment(r);
        s.Cpl = r.ReadInt32();
        s.TscOffset = r.ReadUInt64();
        s.SysenterCs = r.ReadUInt32(); s.SysenterEsp = r.ReadUInt32(); s.SysenterEip = r.ReadUInt32();
        if (s.Cpl is < 0 or > 3) throw new SnapshotException($"The CPU section has an impossible privilege level {s.Cpl}.");
        S = s;
        SetCpl(s.Cpl);

        for (int i = 0; i < 8; i++)
        {
            if (version >= 2) _st[i] = new Float.Float80(r.ReadUInt64(), r.ReadUInt16());
            else
            {
                var env = Float.FpuEnv.Nearest64;
                _st[i] = Float.SoftFloat80.FromDouble((ulong)r.ReadInt64(), ref env);
            }
        }
        _top = r.ReadInt32() & 7; _fcw = r.ReadUInt16(); _fsw = r.ReadUInt16(); _fempty = r.ReadByte();
        _fip = r.ReadUInt32(); _fdp = r.ReadUInt32(); _fcs = r.ReadUInt16(); _fds = r.ReadUInt16(); _fop = r.ReadUInt16();

        _msrs.Clear();
        int msrs = r.ReadInt32();
        for (int i = 0; i < msrs; i++) _msrs[r.ReadUInt32()] = r.ReadUInt64();
        for (int i = 0; i < 8; i++) _dr[i] = r.ReadUInt32();

        InstructionCount = r.ReadUInt64();
        Halted = r.ReadBoolean();
        _interruptShadow = r.ReadBoolean();
        string stop = r.ReadString();
        StopReason = stop.Length == 0 ? null : stop;
        StopBlock = false;
        // S.Eflags holds every flag: drop the lazy-flag state, the TLB, decoded blocks and links.
        AfterStateRestore();
    }

    private static void WriteSegment(BinaryWriter w, in Segment s)
    {
        w.Write(s.Selector); w.Write(s.Base); w.Write(s.Limit); w.Write(s.Access); w.Write(s.Big);
    }

    private static Segment ReadSegment(BinaryReader r)
    {
        var s = new Segment
        {
            Selector = r.ReadUInt16(), Base = r.ReadUInt32(), Limit = r.ReadUInt32(), Access = r.ReadByte(), Big = r.ReadBoolean(),
        };
        s.Classify();
        return s;
    }
}
