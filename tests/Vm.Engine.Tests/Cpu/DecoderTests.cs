using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Tests.Cpu;

public class DecoderTests
{
    private sealed class Bytes(params byte[] b) : IByteSource
    {
        public int Fetch(int offset) => offset < b.Length ? b[offset] : -1;
    }

    [Fact]
    public void Decode_AddEvGvWithSib_ReadsAllFields()
    {
        // add [eax+ecx*4+0x10], edx
        Assert.True(Decoder.TryDecode(new Bytes(0x01, 0x54, 0x88, 0x10), true, out var i));
        Assert.Equal(0x01, i.Op);
        Assert.Equal(4, i.Len);
        Assert.True(i.IsMem);
        Assert.Equal(0, i.Base);
        Assert.Equal(1, i.Index);
        Assert.Equal(2, i.Scale);
        Assert.Equal(0x10, i.Disp);
        Assert.Equal(2, i.RegField);
    }

    [Fact]
    public void Decode_UnknownOpcode_IsUndefined()
    {
        Assert.True(Decoder.TryDecode(new Bytes(0x0F, 0x0A), true, out var i));
        Assert.Equal(Decoder.Undefined, i.Op);
    }

    [Fact]
    public void Decode_TruncatedAtPageEnd_ReturnsFalse()
    {
        Assert.False(Decoder.TryDecode(new Bytes(0xB8, 0x01), true, out _));
    }
}
