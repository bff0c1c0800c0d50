using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CoursePackages.Packaging;

/// <summary>The one YAML dialect packages use: snake_case keys, unknown keys rejected so typos surface.</summary>
internal static class CoursePackageYaml
{
    public static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    public static readonly ISerializer Writer = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitEmptyCollections)
        .Build();
}
