using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// Copy-then-load-then-operate fusion: a register copy followed by a load-then-operate pair
// (FusedLoad.cs) runs as one slot: "mov esi,edi; mov 0x3c(%esp),esi; xor edi,esi" is how GCC
// spills around sha256's Maj (twice a round). The copy cannot fault and runs first; the load
// then runs as the pair's handler does, and a fault in it belongs to the load, the copy retired,
// as two slots would leave it: the slow path moves _instrStart past the copy (2 bytes, always:
// MOV r32,r32 without prefixes) before the checked load. The handler counts the two extra
// instructions itself. Block-only; Differential/FusedLoadDifferentialTests covers it, including
// a load that faults.
public sealed unsafe partial class X86Cpu
{
    // The fused slot: the load-then-operate pair's slot with the copy in Op (source << 3 | destination).
    private static void HCopyThenLoadAlu<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        c.R32(i.Op & 7) = c.R32((i.Op >> 3) & 7);
        uint p = FastPhys<TA>(c, in i, c._tlbRead, 4);
        if (p == NoFast)
        {
            CopyThenLoadAluSlow<T, TA>(c, in i);
            return;
        }
        c.R32(i.Imm2) = c.Ram32(p);
        uint r = T.Do(c, c.R32(i.Rm), c.R32(i.RegField));
        if (T.Writes) c.R32(i.Rm) = r;
        c.InstructionCount += 2;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CopyThenLoadAluSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        c._instrStart += 2;
        LoadThenAluSlow<T, TA>(c, in i);
        c.InstructionCount++;
    }

    /// <summary>The copy-then pair handler for each load-then-operate (register) handler, with and without flags.</summary>
    private static readonly Dictionary<nint, nint> CopyThenLoadAluFor = BuildCopyThenLoadAlu();

    private static Dictionary<nint, nint> BuildCopyThenLoadAlu()
    {
        var map = new Dictionary<nint, nint>();
        Op<Add32>(); Op<Or32>(); Op<And32>(); Op<Sub32>(); Op<Xor32>(); Op<Cmp32>(); Op<Test32>();
        Op<Add32NF>(); Op<Or32NF>(); Op<And32NF>(); Op<Sub32NF>(); Op<Xor32NF>();
        return map;

        void Op<T>() where T : struct, IAlu32
        {
            map[(nint)(delegate*<X86Cpu, in Instr, void>)&HLoadThenAlu<T, ABase>] = (nint)(delegate*<X86Cpu, in Instr, void>)&HCopyThenLoadAlu<T, ABase>;
            map[(nint)(delegate*<X86Cpu, in Instr, void>)&HLoadThenAlu<T, ABaseIndex>] = (nint)(delegate*<X86Cpu, in Instr, void>)&HCopyThenLoadAlu<T, ABaseIndex>;
        }
    }

    /// <summary>The twins without the operation's flags (for FlagLiveness.cs).</summary>
    private static void AddCopyThenLoadAluTwins(Dictionary<nint, nint> map)
    {
        Twin<Add32, Add32NF>(); Twin<Or32, Or32NF>(); Twin<And32, And32NF>(); Twin<Sub32, Sub32NF>(); Twin<Xor32, Xor32NF>();

        void Twin<T, TN>() where T : struct, IAlu32 where TN : struct, IAlu32
        {
            map[(nint)(delegate*<X86Cpu, in Instr, void>)&HCopyThenLoadAlu<T, ABase>] = (nint)(delegate*<X86Cpu, in Instr, void>)&HCopyThenLoadAlu<TN, ABase>;
            map[(nint)(delegate*<X86Cpu, in Instr, void>)&HCopyThenLoadAlu<T, ABaseIndex>] = (nint)(delegate*<X86Cpu, in Instr, void>)&HCopyThenLoadAlu<TN, ABaseIndex>;
        }
    }

    /// <summary>The fused slot for "mov r,r" followed by a load-then-operate (register) pair, or false.</summary>
    private static bool TryFuseCopyThenLoad(List<Instr> decoded, int k, int count, out Slot fused)
    {
        fused = default;
        if (k + 2 >= count) return false;
        Instr copy = decoded[k];
        if (copy.Pfx != 0 || copy.ModRm < 0xC0 || copy.Op is not (0x89 or 0x8B) || copy.Len != 2) return false;
        if (!TryFuseLoad(decoded[k + 1], decoded[k + 2], out var pair) || !CopyThenLoadAluFor.TryGetValue(pair.Fn, out nint fn)) return false;
        if (pair.I.Len + 2 > 255) return false;
        int dst = copy.Op == 0x89 ? copy.Rm : copy.RegField, src = copy.Op == 0x89 ? copy.RegField : copy.Rm;
        Instr p = pair.I;
        fused = new Slot
        {
            Fn = fn,
            I = new Instr((ushort)(src << 3 | dst), (byte)(p.Len + 2), p.Pfx, p.ModRm, p.Seg, p.Base, p.Index, p.Scale, p.Disp, p.Imm, p.Imm2),
        };
        return true;
    }
}
