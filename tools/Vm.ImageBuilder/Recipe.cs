using CoursePackages.Packaging;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Vm.ImageBuilder;

/// <summary>Reads lab image recipes: a course package's <c>images/NAME.yaml</c>, or the "key: value" text the portal stores.</summary>
public static class Recipe
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    public static LabImageRecipe ReadFile(string path) => Parse(File.ReadAllText(path));

    /// <summary>
    /// Parses YAML. The portal's stored form writes packages on one line separated by spaces
    /// (<c>packages: gcc make</c>); that is accepted too.
    /// </summary>
    public static LabImageRecipe Parse(string text)
    {
        try
        {
            var parsed = Yaml.Deserialize<LabImageRecipe>(text) ?? new LabImageRecipe();
            parsed.Packages ??= [];
            return parsed;
        }
        catch (YamlDotNet.Core.YamlException)
        {
            // Not a list: the stored one-line form.
        }
        var recipe = new LabImageRecipe();
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "name": recipe.Name = value; break;
                case "version": recipe.Version = value.Trim('"'); break;
                case "base": recipe.Base = value; break;
                case "packages": recipe.Packages = value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).ToList(); break;
                case "kernel_command_line": recipe.KernelCommandLine = value; break;
            }
        }
        return recipe;
    }
}
