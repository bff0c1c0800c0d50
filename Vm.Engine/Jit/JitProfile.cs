using Vm.Engine.Jit.Frontend;

namespace Vm.Engine.Jit;

/// <summary>
/// Execution counts gathered by compiled code (pinned, so generated code adds to them by
/// address): handler calls per opcode, and native ops per kind.
/// </summary>
public sealed class JitProfile
{
    public long[] HandlerCalls { get; } = GC.AllocateArray<long>(0x200, pinned: true);
    public long[] NativeOps { get; } = GC.AllocateArray<long>(64, pinned: true);

    /// <summary>The most frequent handler-call opcodes and native op kinds, one line each.</summary>
    public IEnumerable<string> Top(int n)
    {
        long total = HandlerCalls.Sum() + NativeOps.Sum();
        if (total == 0) yield break;
        var rows = HandlerCalls.Select((c, op) => (Name: $"handler {(op >= 0x100 ? "0F " : "")}{op & 0xFF:X2}", Count: c))
            .Concat(NativeOps.Select((c, k) => (Name: $"native {(JitOp)k}", Count: c)))
            .Where(r => r.Count > 0)
            .OrderByDescending(r => r.Count)
            .Take(n);
        foreach (var r in rows) yield return $"{r.Name,-24} {r.Count,14:N0} {100.0 * r.Count / total,6:F2}%";
    }
}
