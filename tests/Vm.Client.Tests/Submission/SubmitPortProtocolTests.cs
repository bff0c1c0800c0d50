using System.Text;
using Vm.Client.Submission;

namespace Vm.Client.Tests.Submission;

/// <summary>The framing scripts/guest/rootfs/bin/submit writes, read the way the browser reads it.</summary>
public sealed class SubmitPortProtocolTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static byte[] Frame(params (string Name, byte[] Content)[] files)
    {
        var text = new StringBuilder($"WEBVM-SUBMIT-BEGIN {files.Length}\n");
        foreach (var (name, content) in files)
        {
            text.Append($"FILE {B64(name)} {content.Length}\n");
            // base64(1) wraps at 76 columns, with CR LF when a tty adds them.
            var b64 = Convert.ToBase64String(content);
            for (int i = 0; i < b64.Length; i += 76) text.Append(b64.AsSpan(i, Math.Min(76, b64.Length - i))).Append("\r\n");
            text.Append("FILE-END\n");
        }
        text.Append("WEBVM-SUBMIT-END\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    [Fact]
    public void Feed_TwoFilesInSmallPieces_OneRequestWithBothFilesExact()
    {
        var binary = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        var frame = Frame(("answer.txt", Encoding.UTF8.GetBytes("hello\n")), ("work/data bin", binary));
        var protocol = new SubmitPortProtocol();
        var requests = new List<SubmitRequest>();
        // The guest's bytes arrive in whatever pieces the slices cut them into.
        for (int i = 0; i < frame.Length; i += 13)
            requests.AddRange(protocol.Feed(frame.AsSpan(i, Math.Min(13, frame.Length - i))));

        var request = Assert.Single(requests);
        Assert.Equal(["answer.txt", "work/data bin"], request.Files.Select(f => f.Path));
        Assert.Equal("hello\n", Encoding.UTF8.GetString(request.Files[0].Content));
        Assert.Equal(binary, request.Files[1].Content);
    }

    [Fact]
    public void Feed_EmptyFile_IsKept()
    {
        var request = Assert.Single(new SubmitPortProtocol().Feed(Frame(("empty.txt", []))));
        Assert.Empty(Assert.Single(request.Files).Content);
    }

    [Fact]
    public void Feed_SizeDiffersFromContent_RefusedWithTheFileName()
    {
        var frame = Encoding.ASCII.GetBytes($"WEBVM-SUBMIT-BEGIN 1\nFILE {B64("a.txt")} 99\n{B64("short")}\nFILE-END\nWEBVM-SUBMIT-END\n");
        var e = Assert.Throws<SubmitProtocolException>(() => new SubmitPortProtocol().Feed(frame).ToList());
        Assert.Contains("a.txt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_DamagedBase64_Refused()
    {
        var frame = Encoding.ASCII.GetBytes($"WEBVM-SUBMIT-BEGIN 1\nFILE {B64("a.txt")} 3\n@@@!\nFILE-END\nWEBVM-SUBMIT-END\n");
        Assert.Throws<SubmitProtocolException>(() => new SubmitPortProtocol().Feed(frame).ToList());
    }

    [Fact]
    public void Feed_AbandonedRequestThenANewOne_OnlyTheNewOneCounts()
    {
        var protocol = new SubmitPortProtocol();
        // Ctrl+C in the middle of the first submit: its END never comes.
        Assert.Empty(protocol.Feed(Encoding.ASCII.GetBytes($"WEBVM-SUBMIT-BEGIN 1\nFILE {B64("old.txt")} 3\n")));
        var request = Assert.Single(protocol.Feed(Frame(("new.txt", [1, 2, 3]))));
        Assert.Equal("new.txt", Assert.Single(request.Files).Path);
    }

    [Fact]
    public void Feed_NoiseOutsideARequest_Ignored()
    {
        Assert.Empty(new SubmitPortProtocol().Feed(Encoding.ASCII.GetBytes("login: \nWEBVM-SUBMIT-END\nFILE-END\n")));
    }

    [Fact]
    public void Feed_EndlessLine_RefusedInsteadOfGrowingForever()
    {
        var protocol = new SubmitPortProtocol();
        var junk = new byte[SubmitPortProtocol.MaxLineBytes + 10];
        Array.Fill(junk, (byte)'A');
        Assert.Throws<SubmitProtocolException>(() => protocol.Feed(junk).ToList());
    }

    [Fact]
    public void Answers_AreSingleLinesTheScriptParses()
    {
        Assert.Equal("WEBVM-SUBMIT-OK version 2 received\n", Encoding.UTF8.GetString(SubmitPortProtocol.Ok("version 2 received")));
        Assert.Equal("WEBVM-SUBMIT-ERROR too late: closed\n", Encoding.UTF8.GetString(SubmitPortProtocol.Error("too late:\nclosed")));
    }
}
