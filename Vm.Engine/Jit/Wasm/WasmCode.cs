namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// The body of one function: declared locals and an instruction stream. Parameters are locals
/// 0..n-1; <see cref="AddLocal"/> numbers the rest after them.
/// </summary>
public sealed class WasmCode(int paramCount)
{
    private readonly List<byte> _body = new(256);
    private readonly List<WasmType> _locals = new();

    public int AddLocal(WasmType t)
    {
        _locals.Add(t);
        return paramCount + _locals.Count - 1;
    }

    public WasmCode Op(WasmOp op) { _body.Add((byte)op); return this; }

    public WasmCode I32(int v) { _body.Add((byte)WasmOp.I32Const); Leb128.WriteSigned(_body, v); return this; }
    public WasmCode I32(uint v) => I32((int)v);
    public WasmCode I64(long v) { _body.Add((byte)WasmOp.I64Const); Leb128.WriteSigned(_body, v); return this; }

    public WasmCode Get(int local) => Indexed(WasmOp.LocalGet, (uint)local);
    public WasmCode Set(int local) => Indexed(WasmOp.LocalSet, (uint)local);
    public WasmCode Tee(int local) => Indexed(WasmOp.LocalTee, (uint)local);
    public WasmCode Call(int function) => Indexed(WasmOp.Call, (uint)function);
    public WasmCode Br(int depth) => Indexed(WasmOp.Br, (uint)depth);
    public WasmCode BrIf(int depth) => Indexed(WasmOp.BrIf, (uint)depth);

    public WasmCode CallIndirect(int typeIndex)
    {
        Indexed(WasmOp.CallIndirect, (uint)typeIndex);
        _body.Add(0); // table 0
        return this;
    }

    /// <summary>br_table: one depth per case, then the default.</summary>
    public WasmCode BrTable(IReadOnlyList<int> depths, int defaultDepth)
    {
        _body.Add((byte)WasmOp.BrTable);
        Leb128.WriteUnsigned(_body, (ulong)depths.Count);
        foreach (int d in depths) Leb128.WriteUnsigned(_body, (ulong)d);
        Leb128.WriteUnsigned(_body, (ulong)defaultDepth);
        return this;
    }

    /// <summary>Constructs (block, loop, if) open at this point: label index of a construct opened at depth d is <c>Depth - d</c>.</summary>
    public int Depth { get; private set; }

    public WasmCode Block(WasmType result = WasmType.Void) { _body.Add((byte)WasmOp.Block); _body.Add((byte)result); Depth++; return this; }
    public WasmCode Loop(WasmType result = WasmType.Void) { _body.Add((byte)WasmOp.Loop); _body.Add((byte)result); Depth++; return this; }
    public WasmCode If(WasmType result = WasmType.Void) { _body.Add((byte)WasmOp.If); _body.Add((byte)result); Depth++; return this; }
    public WasmCode Else() => Op(WasmOp.Else);
    public WasmCode End() { Depth--; return Op(WasmOp.End); }

    /// <summary>A memory instruction: alignment hint (log2) and a constant offset added to the address.</summary>
    public WasmCode Mem(WasmOp op, uint offset = 0, uint alignLog2 = 0)
    {
        _body.Add((byte)op);
        Leb128.WriteUnsigned(_body, alignLog2);
        Leb128.WriteUnsigned(_body, offset);
        return this;
    }

    private WasmCode Indexed(WasmOp op, uint index)
    {
        _body.Add((byte)op);
        Leb128.WriteUnsigned(_body, index);
        return this;
    }

    /// <summary>The function body as the code section stores it (size-prefixed, locals run-length grouped).</summary>
    internal void WriteTo(List<byte> o)
    {
        var body = new List<byte>(_body.Count + 16);
        var groups = new List<(int Count, WasmType Type)>();
        foreach (var t in _locals)
        {
            if (groups.Count > 0 && groups[^1].Type == t) groups[^1] = (groups[^1].Count + 1, t);
            else groups.Add((1, t));
        }
        Leb128.WriteUnsigned(body, (ulong)groups.Count);
        foreach (var (count, type) in groups)
        {
            Leb128.WriteUnsigned(body, (ulong)count);
            body.Add((byte)type);
        }
        body.AddRange(_body);
        body.Add((byte)WasmOp.End);
        Leb128.WriteUnsigned(o, (ulong)body.Count);
        o.AddRange(body);
    }
}
