using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// Decodes the blocks of one 4 KiB code page reachable from its entry points by direct
/// branches that stay in the page (so the page's one translation covers them all, and the
/// module can chain them without leaving wasm).
/// </summary>
public static unsafe class PageScanner
{
    /// <summary>
    /// Blocks per page module: at most 254, as the page's block table holds index + 1 in a byte.
    /// 128 left hot entries of dense pages out of their module for good (interpreted on every
    /// run: gzip's deflate pages at the browser's threshold of 200).
    /// </summary>
    public const int MaxBlocks = 254;
    public const int MaxBlockLength = 64;

    private sealed class PageBytes(byte* page) : IByteSource
    {
        public int Start;
        public int Fetch(int offset) => Start + offset < 4096 ? page[Start + offset] : -1;
    }

    /// <summary>Whether a block starting with <paramref name="i"/> has anything to lower (else the scan drops it).</summary>
    public static bool StartsLowered(in Instr i) =>
        InstructionSupport.IsLowered(i) || InstructionSupport.IsJcc(i) || InstructionSupport.IsJmp(i)
        || InstructionSupport.IsCall(i) || InstructionSupport.IsRet(i) || InstructionSupport.IsIndirect(i);

    /// <summary>The bytes at a page's end, padded with zeros past it (to tell an instruction crossing into the next page from bytes that do not decode).</summary>
    private sealed class PaddedBytes(byte* page, int start) : IByteSource
    {
        public int Fetch(int offset) => start + offset < 4096 ? page[start + offset] : 0;
    }

    private static bool CrossesPageEnd(byte* page, int start) =>
        Decoder.TryDecode(new PaddedBytes(page, start), true, out Instr i) && start + i.Len > 4096;

    /// <param name="page">The physical page's bytes.</param>
    /// <param name="entryEips">Entry points as page offsets; the blocks' EIPs are page offsets too.</param>
    public static List<GuestBlock> Scan(byte* page, IEnumerable<uint> entryEips)
    {
        var src = new PageBytes(page);
        var blocks = new List<GuestBlock>();
        var seen = new HashSet<uint>();
        var work = new Queue<uint>(entryEips);
        while (work.Count > 0 && blocks.Count < MaxBlocks)
        {
            uint start = work.Dequeue();
            if (!seen.Add(start)) continue;
            var b = new GuestBlock { StartEip = start };
            uint eip = start;
            while (true)
            {
                src.Start = (int)eip;
                if (src.Start >= 4096 || b.Body.Count == MaxBlockLength)
                {
                    // Ends at the page's end or its length limit: it goes on at the next instruction,
                    // a block of this module or (past the page) another module's.
                    b.End = BlockEnd.Continue;
                    b.FallThrough = eip;
                    if (eip < 4096) work.Enqueue(eip);
                    break;
                }
                if (!Decoder.TryDecode(src, true, out Instr i))
                {
                    // An instruction crossing into the next page (or bytes that do not decode): the interpreter's.
                    b.End = BlockEnd.Interpret;
                    b.FallThrough = eip;
                    if (CrossesPageEnd(page, (int)eip)) b.StopCause = ExitCause.PageCross;
                    break;
                }
                uint next = eip + i.Len;
                if (InstructionSupport.IsJcc(i) || InstructionSupport.IsJmp(i))
                {
                    b.End = InstructionSupport.IsJmp(i) ? BlockEnd.Jump : BlockEnd.Conditional;
                    b.TransferEip = eip;
                    b.Condition = i.Op & 15;
                    b.Taken = next + (uint)i.Imm;
                    b.FallThrough = next;
                    foreach (uint t in b.End == BlockEnd.Jump ? [b.Taken] : new[] { b.Taken, next })
                    {
                        if (t < 4096) work.Enqueue(t);
                    }
                    break;
                }
                if (InstructionSupport.IsCall(i) || InstructionSupport.IsRet(i))
                {
                    bool call = InstructionSupport.IsCall(i);
                    b.End = call ? BlockEnd.Call : BlockEnd.Return;
                    b.TransferEip = eip;
                    b.Taken = next + (uint)i.Imm;
                    b.FallThrough = next;
                    if (call && b.Taken < 4096) work.Enqueue(b.Taken);
                    break;
                }
                if (InstructionSupport.IsIndirect(i))
                {
                    b.End = BlockEnd.Indirect;
                    b.TransferEip = eip;
                    b.Transfer = i;
                    b.FallThrough = next;
                    break;
                }
                if (!InstructionSupport.IsLowered(i))
                {
                    b.End = BlockEnd.Interpret;
                    b.StopCause = (uint)i.Op + (i.O16 ? ExitCause.Operand16 : 0);
                    b.FallThrough = eip;
                    break;
                }
                b.Body.Add((eip, i));
                eip = next;
            }
            blocks.Add(b);
        }
        return blocks;
    }
}
