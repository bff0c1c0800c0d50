using System.Text;

namespace Vm.Client.Submission;

/// <summary>Files the guest's `submit` command handed over.</summary>
public sealed record SubmitRequest(IReadOnlyList<SubmitFile> Files);

public sealed record SubmitFile(string Path, byte[] Content);

/// <summary>
/// The guest side of a submission, as scripts/guest/rootfs/bin/submit frames it on the submit port:
/// text lines, so a tty in raw mode carries them unchanged and a person can read a capture.
/// <code>
/// WEBVM-SUBMIT-BEGIN count
/// FILE base64(path) size
/// base64 lines of the content
/// FILE-END
/// ... (one FILE block per file)
/// WEBVM-SUBMIT-END
/// </code>
/// The browser answers with lines <c>WEBVM-SUBMIT-PROGRESS text</c>, then one of
/// <c>WEBVM-SUBMIT-OK text</c> or <c>WEBVM-SUBMIT-ERROR text</c>.
/// </summary>
public sealed class SubmitPortProtocol
{
    public const int MaxLineBytes = 64 * 1024;

    private readonly List<byte> _line = [];
    private List<SubmitFile>? _files;
    private string? _path;
    private long _size;
    private StringBuilder? _base64;

    /// <summary>Feeds guest bytes; returns each complete request, or throws <see cref="SubmitProtocolException"/>.</summary>
    public IEnumerable<SubmitRequest> Feed(ReadOnlySpan<byte> data)
    {
        var done = new List<SubmitRequest>();
        foreach (var b in data)
        {
            if (b != (byte)'\n')
            {
                if (b != (byte)'\r') _line.Add(b);
                if (_line.Count > MaxLineBytes) { Reset(); throw new SubmitProtocolException("A line on the submit port is too long."); }
                continue;
            }
            var line = Encoding.ASCII.GetString([.. _line]);
            _line.Clear();
            if (Line(line) is { } request) done.Add(request);
        }
        return done;
    }

    private SubmitRequest? Line(string line)
    {
        if (line.StartsWith("WEBVM-SUBMIT-BEGIN", StringComparison.Ordinal))
        {
            // A new request replaces a broken one (the student pressed Ctrl+C and tried again).
            Reset();
            _files = [];
            return null;
        }
        if (_files is null)
            return null; // noise before a request: ignore
        if (_base64 is not null)
        {
            if (line != "FILE-END") { _base64.Append(line.Trim()); return null; }
            byte[] content;
            try { content = Convert.FromBase64String(_base64.ToString()); }
            catch (FormatException) { Reset(); throw new SubmitProtocolException($"The content of {_path} arrived damaged."); }
            if (content.Length != _size) { var p = _path; Reset(); throw new SubmitProtocolException($"{p} arrived with {content.Length} bytes instead of {_size}."); }
            _files.Add(new SubmitFile(_path!, content));
            _base64 = null;
            return null;
        }
        if (line.StartsWith("FILE ", StringComparison.Ordinal))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || !long.TryParse(parts[2], out _size) || _size < 0) { Reset(); throw new SubmitProtocolException("A file header on the submit port is malformed."); }
            try { _path = Encoding.UTF8.GetString(Convert.FromBase64String(parts[1])).Trim(); }
            catch (FormatException) { Reset(); throw new SubmitProtocolException("A file name on the submit port is malformed."); }
            _base64 = new StringBuilder();
            return null;
        }
        if (line == "WEBVM-SUBMIT-END")
        {
            var request = new SubmitRequest(_files);
            Reset();
            return request;
        }
        return null;
    }

    private void Reset()
    {
        _files = null;
        _path = null;
        _base64 = null;
    }

    public static byte[] Progress(string text) => Answer("WEBVM-SUBMIT-PROGRESS", text);
    public static byte[] Ok(string text) => Answer("WEBVM-SUBMIT-OK", text);
    public static byte[] Error(string text) => Answer("WEBVM-SUBMIT-ERROR", text);

    private static byte[] Answer(string kind, string text) =>
        Encoding.UTF8.GetBytes($"{kind} {text.Replace('\n', ' ').Replace('\r', ' ')}\n");
}

public sealed class SubmitProtocolException(string message) : Exception(message);
