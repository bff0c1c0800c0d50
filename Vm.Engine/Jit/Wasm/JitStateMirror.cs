using System.Runtime.InteropServices;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// The guest state generated code works on, in memory the wasm module imports. The CPU's own
/// state stays a managed field (moving it to native memory slowed the interpreter 8-15%), so the
/// dispatcher copies what the code needs in at entry and back at exit; chaining blocks inside
/// wasm keeps those copies rare. Every address field is a wasm address: the native pointer minus
/// the memory's base (the base is 0 in the browser, where wasm memory is the .NET heap).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct JitStateMirror
{
    public fixed uint R[8];
    public uint Eip;
    /// <summary>EFLAGS; its arithmetic bits are current only while LazyOp is 0 (None).</summary>
    public uint Eflags;
    /// <summary>The CPU's LazyOp numbering: 0 None, 1 Add, 2 Sub, 3 Logic, 4 Inc, 5 Dec (32-bit only).</summary>
    public uint LazyOp, LazyDst, LazySrc, LazyRes, LazyCf;
    public uint Ram, TlbRead, TlbWrite;
    public fixed uint SegBase[6];
    /// <summary>Instructions the code may retire before it returns (checked at block starts).</summary>
    public uint Budget;
    public uint Retired;
    /// <summary>Why the code returned (<see cref="JitExit"/>).</summary>
    public uint Exit;
    /// <summary>The module's block to start at.</summary>
    public uint Entry;
    /// <summary>The linear address the page runs at: generated code holds page offsets, so one module serves every mapping of its physical page.</summary>
    public uint LinearPage;
    /// <summary>For an Interpret exit, what stopped the code (<see cref="ExitCause"/>): the profile of what to lower next.</summary>
    public uint ExitCause;
    /// <summary>For the dispatcher (<see cref="DispatcherModule"/>): the function-table index of each physical page's module (0: none), and how many pages.</summary>
    public uint PageFns, PageCount;
    /// <summary>The dispatcher's first call: this table index, at <see cref="Entry"/>.</summary>
    public uint FirstFn;
    /// <summary>What the dispatcher did: modules entered after the first.</summary>
    public uint Chained;
    /// <summary>For the dispatcher: the address of each physical page's block table (4096 bytes: block index + 1 at each page offset where one starts, 0 elsewhere), 0 where no module.</summary>
    public uint PageTables;
    /// <summary>The privilege level the code runs at (CLI checks it against IOPL); no lowered instruction changes it.</summary>
    public uint Cpl;

    public const int OffR = 0, OffEip = 32, OffEflags = 36, OffLazyOp = 40, OffLazyDst = 44, OffLazySrc = 48,
        OffLazyRes = 52, OffLazyCf = 56, OffRam = 60, OffTlbRead = 64, OffTlbWrite = 68, OffSegBase = 72,
        OffBudget = 96, OffRetired = 100, OffExit = 104, OffEntry = 108, OffLinearPage = 112, OffExitCause = 116,
        OffPageFns = 120, OffPageCount = 124, OffFirstFn = 128, OffChained = 132, OffPageTables = 136, OffCpl = 140, Size = 160;
}

/// <summary>Why generated code returned to the dispatcher.</summary>
public enum JitExit : uint
{
    /// <summary>A transfer to code outside the module: EIP is the target.</summary>
    Branch = 1,
    /// <summary>The next instruction needs the interpreter (not lowered, a TLB miss, a fault to raise exactly): EIP is that instruction.</summary>
    Interpret = 2,
    /// <summary>The instruction budget ran out at a block start.</summary>
    Budget = 3,
    /// <summary>A RET or indirect branch inside the page to an offset where no block of the module starts: EIP is that address.</summary>
    NoBlock = 4,
}

/// <summary>
/// What an Interpret exit stopped at: the opcode (0x000-0x1FF, two-byte opcodes 0x1xx) of an
/// instruction not lowered, or one of the causes past the opcodes.
/// </summary>
public static class ExitCause
{
    /// <summary>A memory access the TLB fast path does not take (a miss, a page crossing, MMIO, a store to code).</summary>
    public const uint TlbMiss = 0x200;
    /// <summary>The block ran to the page's end, its length limit, or bytes that do not decode.</summary>
    public const uint BlockLimit = 0x201;
    /// <summary>An instruction that crosses into the next page (a page module holds one page's bytes).</summary>
    public const uint PageCross = 0x202;
    /// <summary>Added to the opcode of an instruction with a 66h (operand-size) prefix.</summary>
    public const uint Operand16 = 0x400;
    public const int Count = 0x800;

    public static string Name(int cause) => cause switch
    {
        (int)TlbMiss => "tlb-miss",
        (int)BlockLimit => "block-limit",
        (int)PageCross => "page-cross",
        >= (int)Operand16 => "o16-" + Name(cause - (int)Operand16),
        < 0x100 => $"op-{cause:X2}",
        _ => $"op-0F{cause & 0xFF:X2}",
    };
}
