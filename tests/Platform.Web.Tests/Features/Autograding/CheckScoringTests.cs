using Platform.Data.Entities;
using Platform.Web.Features.Autograding;

namespace Platform.Web.Tests.Features.Autograding;

public sealed class CheckScoringTests
{
    [Theory]
    [InlineData(0, "", 10, CheckOutcome.Passed)]
    [InlineData(1, "", 0, CheckOutcome.Failed)]
    [InlineData(1, "POINTS 3/4\n", 7.5, CheckOutcome.Partial)]
    [InlineData(0, "POINTS 0/4\n", 0, CheckOutcome.Failed)]
    [InlineData(1, "POINTS 4/4", 10, CheckOutcome.Passed)]
    [InlineData(0, "POINTS 1/4\nmore\nPOINTS 2/4\n", 5, CheckOutcome.Partial)]
    [InlineData(0, "POINTS 9/4\n", 10, CheckOutcome.Passed)]
    [InlineData(1, "POINTS 1/0\n", 0, CheckOutcome.Failed)]
    [InlineData(0, "said POINTS 1/4 in a sentence\n", 10, CheckOutcome.Passed)]
    public void Score_FollowsTheConvention(int exit, string output, double expected, CheckOutcome outcome)
    {
        var (points, actual) = CheckScoring.Score(10, exit, output);
        Assert.Equal((decimal)expected, points);
        Assert.Equal(outcome, actual);
    }
}
