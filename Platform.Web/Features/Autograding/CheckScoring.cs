using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Data.Entities;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// The partial-credit convention (docs/autograding.md): a check that prints a line
/// <c>POINTS n/m</c> (0 ≤ n ≤ m, m &gt; 0) earns its points × n/m, whatever its exit status;
/// the last such line counts. Otherwise exit status 0 earns all its points and anything else none.
/// A check interrupted at its time limit earns nothing.
/// </summary>
public static partial class CheckScoring
{
    [GeneratedRegex(@"^\s*POINTS\s+(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex PointsLine();

    public static (decimal Points, CheckOutcome Outcome) Score(decimal maxPoints, int exitCode, string output)
    {
        var matches = PointsLine().Matches(output);
        if (matches.Count > 0)
        {
            var last = matches[^1];
            var n = decimal.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture);
            var m = decimal.Parse(last.Groups[2].Value, CultureInfo.InvariantCulture);
            if (m > 0)
            {
                var fraction = Math.Clamp(n / m, 0, 1);
                var points = Math.Round(maxPoints * fraction, 2);
                var outcome = fraction == 1 ? CheckOutcome.Passed : fraction == 0 ? CheckOutcome.Failed : CheckOutcome.Partial;
                return (points, outcome);
            }
        }
        return exitCode == 0 ? (maxPoints, CheckOutcome.Passed) : (0, CheckOutcome.Failed);
    }
}
