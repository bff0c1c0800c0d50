using System.Globalization;
using System.Text;
using Vm.Engine.Tests.Cpu;
using Xunit.Abstractions;

namespace Vm.Engine.Tests.Differential;

/// <summary>
/// The transcendental x87 instructions are computed in host double precision (documented in
/// docs/engine.md), so they cannot match the host's 64-bit significands bit for bit. This
/// measures how far they are: the result in units of the 80-bit format's last place (2^-63
/// relative), which must stay within what a double can carry (2^11 such units per double ulp,
/// plus the double computation's own error).
/// </summary>
public class X87TranscendentalTests(ITestOutputHelper output)
{
    private const int Cases = 500;
    private const long MaxUlps = 1 << 13;

    public static TheoryData<string, string, double, double, double, double> Forms() => new()
    {
        // text, code after loading y (m64 at +8, when used) and x (m64 at +0), domain of x, domain of y
        { "fsin", "DD06 D9FE", -3, 3, 0, 0 },
        { "fcos", "DD06 D9FF", -1.2, 1.2, 0, 0 },
        { "fptan (then pop the 1)", "DD06 D9F2 DDD8", -1.2, 1.2, 0, 0 },
        { "fsincos (sin kept)", "DD06 D9FB DDD8", -1.5, 1.5, 0, 0 },
        { "fpatan", "DD4608 DD06 D9F3", 0.1, 100, -100, 100 },
        { "f2xm1", "DD06 D9F0", -1, 1, 0, 0 },
        { "fyl2x", "DD4608 DD06 D9F1", 0.001, 1000, 0.5, 3 },
        { "fyl2xp1", "DD4608 DD06 D9F9", -0.29, 0.29, 0.5, 3 },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Transcendental_IsWithinDoublePrecisionOfHost(string text, string op, double xMin, double xMax, double yMin, double yMax)
    {
        var rng = new Random(text.Aggregate(29, (h, c) => h * 31 + c));
        byte[] code = Convert.FromHexString(("DBE3" + op + "DB7E30").Replace(" ", "", StringComparison.Ordinal));
        var lines = new List<string>();
        var mems = new List<byte[]>();
        var regs = new uint[8];
        regs[4] = 0x00A00800;
        regs[6] = EngineRunner.DataAddr + 0x100;
        for (int n = 0; n < Cases; n++)
        {
            var mem = new byte[EngineRunner.MemSize];
            double x = xMin + rng.NextDouble() * (xMax - xMin), y = yMin + rng.NextDouble() * (yMax - yMin);
            if (x == 0) x = 0.5;
            BitConverter.TryWriteBytes(mem.AsSpan(0x100), x);
            BitConverter.TryWriteBytes(mem.AsSpan(0x108), y);
            mems.Add(mem);
            var sb = new StringBuilder(Convert.ToHexString(code));
            foreach (var r in regs) sb.Append(' ').Append(r.ToString("x", CultureInfo.InvariantCulture));
            sb.Append(" 202 ").Append(Convert.ToHexString(mem));
            lines.Add(sb.ToString());
        }
        string[] native = NativeHarness.Run(lines);
        using var engine = new EngineRunner();
        long worst = 0;
        string worstCase = "";
        for (int n = 0; n < Cases; n++)
        {
            byte[] want = Convert.FromHexString(native[n].Split(' ')[10]);
            var got = engine.Run(code, regs, 0x202, mems[n]);
            Assert.Equal(-1, got.Vector);
            long ulps = UlpDistance(want.AsSpan(0x130), got.Mem.AsSpan(0x130));
            if (ulps > worst)
            {
                worst = ulps;
                worstCase = $"x={BitConverter.ToDouble(mems[n], 0x100):R} y={BitConverter.ToDouble(mems[n], 0x108):R}";
            }
        }
        output.WriteLine($"{text}: worst difference {worst} units of 2^-63 ({worstCase})");
        Assert.True(worst <= MaxUlps, $"{text}: {worst} units of 2^-63 from the host at {worstCase}");
    }

    /// <summary>Distance between two finite 80-bit values of the same sign, in units of the last place.</summary>
    private static long UlpDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        ulong ma = BitConverter.ToUInt64(a), mb = BitConverter.ToUInt64(b);
        int sa = BitConverter.ToUInt16(a[8..]), sb = BitConverter.ToUInt16(b[8..]);
        if (sa == sb) return (long)(ma > mb ? ma - mb : mb - ma);
        if ((sa ^ sb) == 0x8000 || Math.Abs(sa - sb) != 1) return long.MaxValue;
        // Adjacent binades: count in the lower one's units.
        (ulong lo, ulong hi) = sa < sb ? (ma, mb) : (mb, ma);
        return (long)((ulong.MaxValue - lo) + 1 + ((hi - 0x8000000000000000UL) << 1));
    }
}
