namespace Vm.Engine.Jit;

/// <summary>
/// One exit of compiled code to a successor outside its region, and the successor it went to
/// last: the entry is taken again without a lookup while the linear address, the mode (CPL,
/// code size), the TLB generation and the CPU's code epoch (which moves whenever compiled code
/// is dropped) are those it was found under. A struct: a region's sites lie in one array next to
/// each other, so the record is usually in the host's cache already.
/// </summary>
public struct ChainSite
{
    internal uint Lin, Mode, Gen, Epoch;
    internal JitEntry? Entry;

    internal void Remember(uint lin, uint mode, uint gen, uint epoch, JitEntry entry)
    {
        Lin = lin;
        Mode = mode;
        Gen = gen;
        Epoch = epoch;
        Entry = entry;
    }
}
