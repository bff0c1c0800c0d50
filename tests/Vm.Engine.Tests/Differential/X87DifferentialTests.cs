using System.Globalization;
using System.Text;
using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Differential;

/// <summary>
/// x87 forms against the host processor (Native/harness.c): random 80-bit, double, single, BCD and
/// integer operands under random rounding and precision control; each form stores its results
/// (m80/m64/m32/integers/BCD) and the status word (FNSTSW AX, with C0 C2 C3 masked where the
/// SDM leaves them undefined), and the engine must produce the same bytes, registers and flags,
/// both single-stepped and through the block loop.
/// </summary>
public class X87DifferentialTests
{
    private const int Cases = 2000;
    private const uint Defined = 0x1 | 0x4 | 0x40 | 0x80 | 0x800; // CF PF ZF SF OF (AND AX leaves AF undefined)

    public enum Operands { Ext, Double, Single, Bcd, ExtAndDouble, ExtAndSingle }

    public sealed record X87Form(string Text, string Hex, Operands Operands)
    {
        public override string ToString() => Text;
    }

    // fninit; fldcw [esi+0x20]
    private const string Init = "DBE3 D96E20";
    private const string LoadA = "DB2E", LoadB = "DB6E0A";
    // fnstsw ax; and ax,~(C0|C2|C3)
    private const string StatusMasked = "DFE0 6625FFBA", Status = "DFE0";
    private const string StoreResult = "DB7E30", StoreSecond = "DB7E3A";

    public static IEnumerable<object[]> Forms()
    {
        X87Form F(string text, Operands ops, params string[] parts) => new(text, string.Concat(parts).Replace(" ", "", StringComparison.Ordinal), ops);
        var list = new List<X87Form>
        {
            F("faddp: a+b", Operands.Ext, Init, LoadA, LoadB, "DEC1", StatusMasked, StoreResult),
            F("fsubp: a-b", Operands.Ext, Init, LoadA, LoadB, "DEE9", StatusMasked, StoreResult),
            F("fsubrp: b-a", Operands.Ext, Init, LoadA, LoadB, "DEE1", StatusMasked, StoreResult),
            F("fmulp: a*b", Operands.Ext, Init, LoadA, LoadB, "DEC9", StatusMasked, StoreResult),
            F("fdivp: a/b", Operands.Ext, Init, LoadA, LoadB, "DEF9", StatusMasked, StoreResult),
            F("fdivrp: b/a", Operands.Ext, Init, LoadA, LoadB, "DEF1", StatusMasked, StoreResult),
            F("fadd st0,st1 (no pop)", Operands.Ext, Init, LoadA, LoadB, "D8C1", StatusMasked, StoreResult, StoreSecond),
            F("fsqrt", Operands.Ext, Init, LoadA, "D9FA", StatusMasked, StoreResult),
            F("frndint", Operands.Ext, Init, LoadA, "D9FC", StatusMasked, StoreResult),
            F("fscale", Operands.Ext, Init, LoadB, LoadA, "D9FD", StatusMasked, StoreResult),
            F("fprem", Operands.Ext, Init, LoadB, LoadA, "D9F8", Status, StoreResult),
            F("fprem1", Operands.Ext, Init, LoadB, LoadA, "D9F5", Status, StoreResult),
            F("fxtract", Operands.Ext, Init, LoadA, "D9F4", StatusMasked, StoreResult, StoreSecond),
            F("fcompp", Operands.Ext, Init, LoadA, LoadB, "DED9", Status),
            F("fucompp", Operands.Ext, Init, LoadA, LoadB, "DAE9", Status),
            F("fcomip", Operands.Ext, Init, LoadA, LoadB, "DFF1", Status),
            F("fucomip", Operands.Ext, Init, LoadA, LoadB, "DFE9", Status),
            F("ftst", Operands.Ext, Init, LoadA, "D9E4", Status),
            F("fxam", Operands.Ext, Init, LoadA, "D9E5", Status),
            F("fchs; fabs of b", Operands.Ext, Init, LoadA, "D9E0", LoadB, "D9E1", Status, StoreResult, StoreSecond),
            F("fstp m64", Operands.Ext, Init, LoadA, "DD5E30", StatusMasked),
            F("fstp m32", Operands.Ext, Init, LoadA, "D95E30", StatusMasked),
            F("fistp m64", Operands.Ext, Init, LoadA, "DF7E30", StatusMasked),
            F("fistp m32", Operands.Ext, Init, LoadA, "DB5E30", StatusMasked),
            F("fistp m16", Operands.Ext, Init, LoadA, "DF5E30", StatusMasked),
            F("fbstp", Operands.Ext, Init, LoadA, "DF7630", StatusMasked),
            F("fild m64; fstp m80", Operands.Ext, Init, "DF2E", StatusMasked, StoreResult),
            F("fild m64; fistp m64", Operands.Ext, Init, "DF2E DF7E30", StatusMasked),
            F("fld m64; fstp m80", Operands.Double, Init, "DD06", StatusMasked, StoreResult),
            F("fld m64; fstp m64", Operands.Double, Init, "DD06 DD5E30", StatusMasked),
            F("fld m32; fstp m80", Operands.Single, Init, "D906", StatusMasked, StoreResult),
            F("fld m32; fstp m32", Operands.Single, Init, "D906 D95E30", StatusMasked),
            F("fadd m64", Operands.ExtAndDouble, Init, LoadA, "DC460A", StatusMasked, StoreResult),
            F("fdivr m32", Operands.ExtAndSingle, Init, LoadA, "D87E0A", StatusMasked, StoreResult),
            F("fcom m64", Operands.ExtAndDouble, Init, LoadA, "DC560A", Status),
            F("fbld; fstp m80", Operands.Bcd, Init, "DF26", StatusMasked, StoreResult),
            F("fldpi fldl2e fldl2t fldlg2 fldln2 (per RC)", Operands.Ext, Init, "D9EB D9EA D9E9 D9EC D9ED", Status,
                "DB7E30 DB7E3A DB7E44 DB7E4E DB7E58"),
            F("stack overflow: nine fld1", Operands.Ext, Init, string.Concat(Enumerable.Repeat("D9E8", 9)), Status, StoreResult),
            F("stack underflow: fadd st0,st1 on an empty stack", Operands.Ext, Init, "D8C1", Status, StoreResult),
            F("stack underflow: fistp m32 of an empty register", Operands.Ext, Init, "DB5E30", Status),
        };
        return list.Select(f => new object[] { f });
    }

    private static byte[] Memory(X87Form form, Random rng)
    {
        var mem = new byte[EngineRunner.MemSize];
        rng.NextBytes(mem);
        var at = mem.AsSpan(0x100);
        var a = X87Inputs.Value(rng);
        switch (form.Operands)
        {
            case Operands.Double: BitConverter.TryWriteBytes(at, X87Inputs.Double(rng)); break;
            case Operands.Single: BitConverter.TryWriteBytes(at, X87Inputs.Single(rng)); break;
            case Operands.Bcd: X87Inputs.Bcd(rng, at); break;
            default:
                X87Inputs.Write80(at, a);
                if (form.Operands == Operands.ExtAndDouble) BitConverter.TryWriteBytes(at[10..], X87Inputs.Double(rng));
                else if (form.Operands == Operands.ExtAndSingle) BitConverter.TryWriteBytes(at[10..], X87Inputs.Single(rng));
                else X87Inputs.Write80(at[10..], X87Inputs.Partner(rng, a));
                break;
        }
        BitConverter.TryWriteBytes(at[0x20..], X87Inputs.ControlWord(rng));
        return mem;
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void X87_MatchesHostProcessor(X87Form form)
    {
        var rng = new Random(form.Text.Aggregate(23, (h, c) => h * 31 + c));
        byte[] code = Convert.FromHexString(form.Hex);
        var cases = new List<(uint[] Regs, uint Flags, byte[] Mem)>();
        var lines = new List<string>();
        for (int n = 0; n < Cases; n++)
        {
            var regs = new uint[8];
            for (int r = 0; r < 8; r++) regs[r] = (uint)rng.NextInt64(0, 1L << 32);
            regs[4] = 0x00A00800;
            regs[6] = EngineRunner.DataAddr + 0x100;
            uint flags = 0x202 | ((uint)rng.Next(0, 1 << 12) & 0x8D5);
            var mem = Memory(form, rng);
            cases.Add((regs, flags, mem));
            var sb = new StringBuilder(form.Hex);
            foreach (var r in regs) sb.Append(' ').Append(r.ToString("x", CultureInfo.InvariantCulture));
            sb.Append(' ').Append(flags.ToString("x", CultureInfo.InvariantCulture)).Append(' ').Append(Convert.ToHexString(mem));
            lines.Add(sb.ToString());
        }
        string[] native = NativeHarness.Run(lines);
        using var engine = new EngineRunner();
        var failures = new List<string>();
        for (int n = 0; n < Cases && failures.Count < 6; n++)
        {
            var (regs, flags, mem) = cases[n];
            var parts = native[n].Split(' ');
            Assert.Equal("0", parts[0]);
            uint[] want = [.. parts.Skip(1).Take(8).Select(p => uint.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture))];
            uint wantFl = uint.Parse(parts[9], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            byte[] wantMem = Convert.FromHexString(parts[10]);
            foreach (bool viaBlocks in new[] { false, true })
            {
                var got = engine.Run(code, regs, flags, mem, viaBlocks);
                string how = viaBlocks ? "blocks" : "steps";
                string input = $"a={Hex(mem, 0x100, 10)} b={Hex(mem, 0x10A, 10)} cw={BitConverter.ToUInt16(mem, 0x120):X4}";
                if (got.Vector >= 0) { failures.Add($"{input}: engine ({how}) raised exception {got.Vector}"); break; }
                for (int r = 0; r < 8; r++)
                    if (want[r] != got.Regs[r]) failures.Add($"{input}: r{r} host {want[r]:X8} engine ({how}) {got.Regs[r]:X8}");
                if ((wantFl & Defined) != (got.Eflags & Defined)) failures.Add($"{input}: eflags host {wantFl & Defined:X} engine ({how}) {got.Eflags & Defined:X}");
                int diff = Enumerable.Range(0, wantMem.Length).FirstOrDefault(k => wantMem[k] != got.Mem[k], -1);
                if (diff >= 0)
                {
                    int from = diff & ~0xF;
                    failures.Add($"{input}: memory +0x{diff:X}: host {Hex(wantMem, from, 16)} engine ({how}) {Hex(got.Mem, from, 16)}");
                }
                if (failures.Count > 0) break;
            }
        }
        Assert.True(failures.Count == 0, $"{form.Text}:\n" + string.Join("\n", failures));
    }

    /// <summary>Bytes as the little-endian number they store (most significant first).</summary>
    private static string Hex(byte[] mem, int at, int n) => Convert.ToHexString([.. mem.AsSpan(at, n).ToArray().Reverse()]);
}
