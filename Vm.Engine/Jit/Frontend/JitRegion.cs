using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Jit.Frontend;

/// <summary>
/// A hot block and the blocks its direct branches reach inside the same 4 KiB page, compiled
/// as one unit: a branch between them stays in compiled code (after the checks the run loop
/// makes between blocks) instead of returning to the run loop, so loops and short paths no
/// longer pay a dispatch per block. The page bounds it because a write to a page drops all of
/// the page's compiled code, and a linear target in the entry's page is in its physical page.
/// Every block has the interpreter's boundaries (<c>X86Cpu.DecodeBlockAt</c>), so the counts
/// at which a run stops are the interpreter's.
/// </summary>
public sealed class JitRegion
{
    /// <summary>The default bound on blocks per region (<c>X86Cpu.JitRegionLimit</c>): compile time grows with it, and most loops are short.</summary>
    public const int MaxBlocks = 12;

    /// <summary>The entry block first, then the others in the order found.</summary>
    public required IReadOnlyList<JitBlock> Blocks { get; init; }

    /// <summary>The block starting at <paramref name="offset"/> bytes from the entry, if it is in the region.</summary>
    public int IndexAt(int offset)
    {
        for (int k = 0; k < Blocks.Count; k++)
        {
            if (Blocks[k].StartOffset == offset) return k;
        }
        return -1;
    }

    /// <summary>
    /// Follows the direct branches (Jcc both ways, JMP, CALL) and fall-throughs from
    /// <paramref name="entry"/> breadth first while they stay in its page.
    /// </summary>
    /// <param name="decodeAt">The interpreter's block at a physical address, or null.</param>
    public static JitRegion Build(JitBlock entry, Func<uint, Instr[]?> decodeAt, int maxBlocks = MaxBlocks)
    {
        var blocks = new List<JitBlock> { entry };
        var queue = new Queue<JitBlock>();
        queue.Enqueue(entry);
        int pageOffset = (int)(entry.Phys & 0xFFF);
        while (queue.Count > 0 && blocks.Count < maxBlocks)
        {
            JitBlock b = queue.Dequeue();
            foreach (int target in Successors(b))
            {
                if (blocks.Count >= maxBlocks) break;
                int inPage = pageOffset + target;
                if (inPage < 0 || inPage >= 4096 || blocks.Exists(x => x.StartOffset == target)) continue;
                uint phys = (entry.Phys & 0xFFFFF000) | (uint)inPage;
                Instr[]? instrs = decodeAt(phys);
                if (instrs == null) continue;
                JitBlock next = Translator.Translate(instrs, phys, entry.Code32, target);
                blocks.Add(next);
                queue.Enqueue(next);
            }
        }
        return new JitRegion { Blocks = blocks };
    }

    /// <summary>Where the block can go on, in bytes from the entry, when its end is a direct transfer or a fall-through.</summary>
    public static IEnumerable<int> Successors(JitBlock b)
    {
        ref readonly JitInstr last = ref b.Ops[^1];
        switch (last.Op)
        {
            case JitOp.Jcc:
                return [last.End + last.Imm, last.End];
            case JitOp.Jmp:
            case JitOp.CallRel:
                return [last.End + last.Imm];
            default:
                return FallsThrough(b) ? [last.End] : [];
        }
    }

    /// <summary>Whether the block ended only because of its length or the page end (its last instruction goes on to the next).</summary>
    public static bool FallsThrough(JitBlock b) => !Cpu.X86Cpu.EndsBlock(b.InstrAt(b.Ops.Length - 1));
}
