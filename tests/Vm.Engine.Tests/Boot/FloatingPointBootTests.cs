namespace Vm.Engine.Tests.Boot;

/// <summary>
/// The guest's own floating point on the 80-bit x87: BusyBox awk (glibc's printf and strtod; this BusyBox has no math functions)
/// computes and prints doubles whose digits a user would check; the kernel itself uses no x87.
/// </summary>
public class FloatingPointBootTests
{
    [Fact]
    public void Awk_FloatingPoint_PrintsTheDigitsOfARealPentium()
    {
        using var g = new GuestSession("console=ttyS0 quiet cryptomgr.notests noisapnp", 128u << 20);
        g.WaitFor(GuestSession.Marker, TimeSpan.FromMinutes(6));
        g.WaitFor("# ", TimeSpan.FromSeconds(60));
        Assert.Equal("0.30000000000000004", g.Run("awk 'BEGIN{printf \"%.17g\\n\", 0.1+0.2}'").Trim());
        Assert.Equal("0.33333333333333331", g.Run("awk 'BEGIN{printf \"%.17g\\n\", 1/3}'").Trim());
        Assert.Equal("18446744073709551616", g.Run("awk 'BEGIN{x=1; for(i=0;i<64;i++) x*=2; printf \"%.0f\\n\", x}'").Trim());
        // BusyBox converts to a 32-bit int with FISTP: out of range gives the integer indefinite, as on the real FPU.
        Assert.Equal("-2147483648", g.Run("awk 'BEGIN{printf \"%d\\n\", 2147483647*3}'").Trim());
        Assert.Equal("inf -inf", g.Run("awk 'BEGIN{x=1e308*10; printf \"%g %g\\n\", x, -x}'").Trim());
        Assert.Equal("1.2345678901234567e+300", g.Run("awk 'BEGIN{printf \"%.17g\\n\", 1.2345678901234567e300}'").Trim());
    }
}
