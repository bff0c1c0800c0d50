using Vm.Engine.Jit.Wasm;

namespace Vm.Engine.Tests.JitWasm;

/// <summary>The encoder's output is checked by Wasmtime: it must validate, instantiate and compute.</summary>
public sealed class WasmModuleBuilderTests : IDisposable
{
    private readonly WasmtimeCodeHost _host = new();

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData(0L, new byte[] { 0x00 })]
    [InlineData(63L, new byte[] { 0x3F })]
    [InlineData(64L, new byte[] { 0xC0, 0x00 })]
    [InlineData(-1L, new byte[] { 0x7F })]
    [InlineData(-64L, new byte[] { 0x40 })]
    [InlineData(-65L, new byte[] { 0xBF, 0x7F })]
    [InlineData(int.MinValue, new byte[] { 0x80, 0x80, 0x80, 0x80, 0x78 })]
    public void SignedLeb128_MatchesTheSpecEncoding(long value, byte[] expected)
    {
        var o = new List<byte>();
        Leb128.WriteSigned(o, value);
        Assert.Equal(expected, o.ToArray());
    }

    [Fact]
    public void UnsignedLeb128_624485_IsE58E26()
    {
        var o = new List<byte>();
        Leb128.WriteUnsigned(o, 624485);
        Assert.Equal(new byte[] { 0xE5, 0x8E, 0x26 }, o.ToArray());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 45)]
    [InlineData(100000, 704982704)] // wraps: sum 0..99999 mod 2^32
    public void LoopWithLocals_SumsBelowN(int n, int expected)
    {
        var m = new WasmModuleBuilder();
        int t = m.FunctionType([WasmType.I32], [WasmType.I32]);
        var c = new WasmCode(1);
        int i = c.AddLocal(WasmType.I32), sum = c.AddLocal(WasmType.I32);
        c.Block().Loop()
            .Get(i).Get(0).Op(WasmOp.I32GeS).BrIf(1)
            .Get(sum).Get(i).Op(WasmOp.I32Add).Set(sum)
            .Get(i).I32(1).Op(WasmOp.I32Add).Set(i)
            .Br(0)
            .End().End()
            .Get(sum);
        m.Export("sum", m.AddFunction(t, c));
        var f = _host.Instantiate(m.Build()).GetFunction<int, int>("sum")!;
        Assert.Equal(expected, f(n));
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(2, 300)]
    [InlineData(7, -1)]
    public void BrTable_PicksTheCase(int selector, int expected)
    {
        var m = new WasmModuleBuilder();
        int t = m.FunctionType([WasmType.I32], [WasmType.I32]);
        var c = new WasmCode(1);
        c.Block().Block().Block().Block()
            .Get(0).BrTable([0, 1, 2], 3)
            .End().I32(100).Op(WasmOp.Return)
            .End().I32(200).Op(WasmOp.Return)
            .End().I32(300).Op(WasmOp.Return)
            .End().I32(-1);
        m.Export("pick", m.AddFunction(t, c));
        var f = _host.Instantiate(m.Build()).GetFunction<int, int>("pick")!;
        Assert.Equal(expected, f(selector));
    }

    [Fact]
    public void ImportedMemory_IsTheHostsMemory_LoadsAndStoresAllWidths()
    {
        var m = new WasmModuleBuilder();
        m.ImportMemory("env", "memory", 1);
        int t = m.FunctionType([WasmType.I32], []);
        var c = new WasmCode(1);
        // [p+4] = [p] + 1 (i32); [p+8] = byte [p] zero-extended; 16-bit store at p+12; i64 copy to p+16.
        c.Get(0).Get(0).Mem(WasmOp.I32Load, 0, 2).I32(1).Op(WasmOp.I32Add).Mem(WasmOp.I32Store, 4, 2);
        c.Get(0).Get(0).Mem(WasmOp.I32Load8U).Mem(WasmOp.I32Store, 8, 2);
        c.Get(0).I32(0x12345).Mem(WasmOp.I32Store16, 12, 1);
        c.Get(0).Get(0).Mem(WasmOp.I64Load, 0, 3).Mem(WasmOp.I64Store, 16, 3);
        m.Export("f", m.AddFunction(t, c));
        var f = _host.Instantiate(m.Build()).GetAction<int>("f")!;
        const int p = 4096;
        _host.Memory.WriteInt32(p, unchecked((int)0xAABBCCFF));
        f(p);
        Assert.Equal(unchecked((int)0xAABBCD00), _host.Memory.ReadInt32(p + 4));
        Assert.Equal(0xFF, _host.Memory.ReadInt32(p + 8));
        Assert.Equal(0x2345, _host.Memory.ReadInt16(p + 12));
        Assert.Equal(_host.Memory.ReadInt64(p), _host.Memory.ReadInt64(p + 16));
    }

    [Fact]
    public void FunctionImportedAfterCode_IsRejected()
    {
        var m = new WasmModuleBuilder();
        int t = m.FunctionType([], []);
        m.AddFunction(t, new WasmCode(0));
        Assert.Throws<InvalidOperationException>(() => m.ImportFunction("env", "f", t));
    }

    [Fact]
    public void MalformedBody_IsRejectedByTheValidator()
    {
        var m = new WasmModuleBuilder();
        int t = m.FunctionType([], [WasmType.I32]);
        m.AddFunction(t, new WasmCode(0).Op(WasmOp.I32Add)); // adds with an empty stack
        Assert.ThrowsAny<Exception>(() => _host.Instantiate(m.Build()));
    }
}
