using CoursePackages.Packaging;

namespace Courses.Tests.Packaging;

public sealed class CheckListYamlTests
{
    [Fact]
    public void Parse_ThePackagesFormat_ReadsEveryField()
    {
        var checks = CheckListYaml.Parse("""
            - name: compiles
              command: gcc -o /tmp/a ~/a.c
              points: 4
              timeout_seconds: 60
            - name: hidden one
              command: test -f ~/x
              points: 1.5
              visible: false
            """);

        Assert.Equal(2, checks.Count);
        Assert.Equal(("compiles", "gcc -o /tmp/a ~/a.c", 4m, 60, true), (checks[0].Name, checks[0].Command, checks[0].Points, checks[0].TimeoutSeconds, checks[0].Visible));
        Assert.Equal((1.5m, 30, false), (checks[1].Points, checks[1].TimeoutSeconds, checks[1].Visible));
    }

    [Fact]
    public void Write_ThenParse_GivesTheSameChecks()
    {
        List<CheckPackage> checks = [new() { Name = "a", Command = "echo 'POINTS 1/2'", Points = 3, TimeoutSeconds = 5, Visible = false }];
        var again = CheckListYaml.Parse(CheckListYaml.Write(checks));
        Assert.Equal(("a", "echo 'POINTS 1/2'", 3m, 5, false), (again[0].Name, again[0].Command, again[0].Points, again[0].TimeoutSeconds, again[0].Visible));
    }

    [Theory]
    [InlineData("- name: a\n  command: true\n  points: -1\n", "negative points")]
    [InlineData("- name: a\n  command: true\n  timeout_seconds: 0\n", "timeout_seconds 0")]
    [InlineData("- name: a\n  command: \"\"\n", "needs a command")]
    [InlineData("- command: true\n", "needs a name")]
    [InlineData("- name: a\n  command: true\n- name: a\n  command: false\n", "two checks are named 'a'")]
    [InlineData("- name: a\n  comand: true\n", "Line 2")]
    public void Parse_BadCheck_FailsWithTheReason(string yaml, string expected)
    {
        var e = Assert.Throws<CoursePackageException>(() => CheckListYaml.Parse(yaml));
        Assert.Contains(expected, e.Message);
    }
}
