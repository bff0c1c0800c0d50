using CoursePackages.Packaging;
using Platform.Data.Entities;

namespace Platform.Web.Features.Autograding;

/// <summary>The course package's <c>check_results</c> values and the assignment's setting, both ways.</summary>
public static class CheckResultsFormat
{
    public static CheckResultsVisibility Parse(string value) => value switch
    {
        CheckResultsValues.AfterDueDate => CheckResultsVisibility.AfterDueDate,
        CheckResultsValues.Never => CheckResultsVisibility.Never,
        _ => CheckResultsVisibility.Immediately,
    };

    public static string Format(CheckResultsVisibility value) => value switch
    {
        CheckResultsVisibility.AfterDueDate => CheckResultsValues.AfterDueDate,
        CheckResultsVisibility.Never => CheckResultsValues.Never,
        _ => CheckResultsValues.Immediately,
    };
}
