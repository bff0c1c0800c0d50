using Platform.Web.Components.Shared;

namespace Platform.Web.Components.Tests.Components.Shared;

public sealed class SharedComponentTests : BunitContext
{
    [Theory]
    [InlineData("In progress", "badge-in-progress")]
    [InlineData("Late", "badge-late")]
    [InlineData("Graded", "badge-graded")]
    public void StatusBadge_Text_GetsItsOwnColourClass(string text, string cssClass)
    {
        var badge = Render<StatusBadge>(p => p.Add(b => b.Text, text)).Find("span");

        Assert.Equal(text, badge.TextContent);
        Assert.Contains(cssClass, badge.ClassList);
    }

    [Fact]
    public void Alert_WithoutMessage_RendersNothing()
    {
        var alert = Render<Alert>(p => p.Add(a => a.Message, null));

        Assert.Empty(alert.Markup.Trim());
    }

    [Fact]
    public void Alert_Error_IsAnnouncedAsAlert()
    {
        var alert = Render<Alert>(p => p.Add(a => a.Message, "The file is too large.").Add(a => a.Kind, "error")).Find("div");

        Assert.Equal("alert", alert.GetAttribute("role"));
        Assert.Contains("alert-error", alert.ClassList);
        Assert.Equal("The file is too large.", alert.TextContent);
    }

    [Fact]
    public void EmptyState_ShowsTitleAndGuidance()
    {
        var empty = Render<EmptyState>(p => p.Add(e => e.Title, "No submissions yet").AddChildContent("<a href=\"x\">Upload</a>"));

        Assert.Equal("No submissions yet", empty.Find(".empty-title").TextContent);
        Assert.Equal("Upload", empty.Find(".empty-body a").TextContent);
    }

    [Fact]
    public void LocalTime_ShowsUtcWithTheZoneNamed()
    {
        var due = new DateTimeOffset(2026, 12, 1, 23, 59, 0, TimeSpan.FromHours(2));

        var time = Render<LocalTime>(p => p.Add(t => t.Value, due)).Find("time");

        Assert.Equal("Tue 1 Dec 2026, 21:59 UTC", time.TextContent);
        Assert.Equal(due.ToString("O"), time.GetAttribute("datetime"));
    }

    [Fact]
    public void Markdown_RendersFormatting()
    {
        var md = Render<Markdown>(p => p.Add(m => m.Text, "# Title\n\nRun `ls -l`."));

        Assert.Equal("Title", md.Find("h1").TextContent);
        Assert.Equal("ls -l", md.Find("code").TextContent);
    }

    [Fact]
    public void Markdown_WithRawHtml_DoesNotRenderScript()
    {
        var md = Render<Markdown>(p => p.Add(m => m.Text, "Hello <script>alert(1)</script> <img src=x onerror=alert(2)>"));

        Assert.Empty(md.FindAll("script"));
        Assert.Empty(md.FindAll("img"));
        Assert.Contains("&lt;script&gt;", md.Markup);
    }

    [Fact]
    public void PageHeader_ShowsTitleSubtitleAndActions()
    {
        var header = Render<PageHeader>(p => p
            .Add(h => h.Title, "Gradebook")
            .Add(h => h.Subtitle, "Introduction to Linux")
            .Add(h => h.Actions, "<a class=\"button\">Export CSV</a>"));

        Assert.Equal("Gradebook", header.Find("h1").TextContent);
        Assert.Equal("Introduction to Linux", header.Find(".subtitle").TextContent);
        Assert.Equal("Export CSV", header.Find(".page-actions a").TextContent);
    }
}
