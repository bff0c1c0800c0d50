using System.Globalization;
using System.Text.Json;

namespace Platform.Web.Tailnet.Tests.Fakes;

/// <summary>
/// Headscale v0.29.2's published OpenAPI (Swagger 2) description, loaded from the JSON file, with
/// just enough of a validator to hold requests and responses to it: paths, methods, parameters,
/// and body fields with their types and formats.
/// </summary>
public sealed class HeadscaleDescription
{
    public const string FileName = "headscale-v0.29.2.swagger.json";

    private static readonly Lazy<HeadscaleDescription> Shared = new(() =>
        new HeadscaleDescription(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Headscale", FileName))));

    public static HeadscaleDescription Load() => Shared.Value;

    private readonly JsonDocument _document;

    public HeadscaleDescription(string json)
    {
        _document = JsonDocument.Parse(json);
        var operations = new List<DescribedOperation>();
        foreach (var path in Root.GetProperty("paths").EnumerateObject())
            foreach (var method in path.Value.EnumerateObject())
                operations.Add(new DescribedOperation(method.Name.ToUpperInvariant(), path.Name, method.Value));
        // Literal segments win over templated ones (/node/register before /node/{nodeId}).
        Operations = operations.OrderBy(o => o.Path.Count(c => c == '{')).ToList();
    }

    public JsonElement Root => _document.RootElement;
    public IReadOnlyList<DescribedOperation> Operations { get; }

    public DescribedOperation? Find(string method, string path) =>
        Operations.FirstOrDefault(o => o.Method == method && o.Matches(path));

    public JsonElement Definition(string name) => Root.GetProperty("definitions").GetProperty(name);

    public JsonElement Resolve(JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out var reference))
            schema = Definition(reference.GetString()!["#/definitions/".Length..]);
        return schema;
    }

    /// <summary>Every way <paramref name="value"/> departs from <paramref name="schema"/>; empty when it conforms.</summary>
    public IEnumerable<string> Validate(JsonElement value, JsonElement schema, string where)
    {
        schema = Resolve(schema);
        if (value.ValueKind == JsonValueKind.Null)
        {
            yield return $"{where}: null (protobuf JSON omits unset fields)";
            yield break;
        }
        var type = schema.TryGetProperty("type", out var t) ? t.GetString() : null;
        switch (type)
        {
            case "object":
                if (value.ValueKind != JsonValueKind.Object)
                {
                    yield return $"{where}: expected an object, got {value.ValueKind}";
                    yield break;
                }
                var properties = schema.TryGetProperty("properties", out var p) ? p : default;
                var open = schema.TryGetProperty("additionalProperties", out _);
                foreach (var field in value.EnumerateObject())
                {
                    if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(field.Name, out var fieldSchema))
                    {
                        foreach (var problem in Validate(field.Value, fieldSchema, $"{where}.{field.Name}"))
                            yield return problem;
                    }
                    else if (!open)
                        yield return $"{where}.{field.Name}: no such field in the description";
                }
                break;
            case "array":
                if (value.ValueKind != JsonValueKind.Array)
                {
                    yield return $"{where}: expected an array, got {value.ValueKind}";
                    yield break;
                }
                var index = 0;
                foreach (var item in value.EnumerateArray())
                    foreach (var problem in Validate(item, schema.GetProperty("items"), $"{where}[{index++}]"))
                        yield return problem;
                break;
            case "string":
                if (value.ValueKind != JsonValueKind.String)
                {
                    yield return $"{where}: expected a string, got {value.ValueKind}";
                    yield break;
                }
                foreach (var problem in ValidateString(value.GetString()!, schema, where))
                    yield return problem;
                break;
            case "boolean":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    yield return $"{where}: expected a boolean, got {value.ValueKind}";
                break;
            case "integer" or "number":
                if (value.ValueKind != JsonValueKind.Number)
                    yield return $"{where}: expected a number, got {value.ValueKind}";
                break;
        }
    }

    public static IEnumerable<string> ValidateString(string text, JsonElement schema, string where)
    {
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (format == "uint64" && !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            yield return $"{where}: '{text}' is not a uint64";
        if (format == "date-time" && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            yield return $"{where}: '{text}' is not a date-time";
        if (format == "boolean" && text is not ("true" or "false"))
            yield return $"{where}: '{text}' is not a boolean";
        if (schema.TryGetProperty("enum", out var values) && values.EnumerateArray().All(v => v.GetString() != text))
            yield return $"{where}: '{text}' is not one of the enum's values";
    }
}

public sealed class DescribedOperation(string method, string path, JsonElement node)
{
    public string Method { get; } = method;
    public string Path { get; } = path;
    public JsonElement Node { get; } = node;
    public string OperationId => Node.GetProperty("operationId").GetString()!;

    public IEnumerable<JsonElement> Parameters =>
        Node.TryGetProperty("parameters", out var p) ? p.EnumerateArray() : [];

    public JsonElement? Parameter(string name, string location) =>
        Parameters.Where(p => p.GetProperty("name").GetString() == name && p.GetProperty("in").GetString() == location).Select(p => (JsonElement?)p).FirstOrDefault();

    public JsonElement? BodySchema => Parameters.Where(p => p.GetProperty("in").GetString() == "body").Select(p => (JsonElement?)p.GetProperty("schema")).FirstOrDefault();

    public string? ResponseDefinition =>
        Node.GetProperty("responses").GetProperty("200").GetProperty("schema").GetProperty("$ref").GetString()?["#/definitions/".Length..];

    public bool Matches(string requestPath) => PathValues(requestPath) is not null;

    /// <summary>The values of the template's {parameters} in <paramref name="requestPath"/>, or null when it does not match.</summary>
    public Dictionary<string, string>? PathValues(string requestPath)
    {
        var template = Path.Trim('/').Split('/');
        var actual = requestPath.Trim('/').Split('/');
        if (template.Length != actual.Length)
            return null;
        var values = new Dictionary<string, string>();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i].StartsWith('{'))
            {
                if (actual[i].Length == 0)
                    return null;
                values[template[i].Trim('{', '}')] = Uri.UnescapeDataString(actual[i]);
            }
            else if (template[i] != actual[i])
                return null;
        }
        return values;
    }
}
