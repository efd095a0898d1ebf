using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace BigGan.Cli.Commands;

/// <summary>
/// The summary comments of library properties, read from the XML documentation file the build puts next to each
/// assembly, so an option's help text is the comment on the field it sets and the two cannot drift apart.
/// </summary>
internal static partial class DocumentationComments
{
    private static readonly Dictionary<Assembly, IReadOnlyDictionary<string, string>> Files = [];

    /// <summary>The property's summary as one line of plain text, or null when the documentation file is missing.</summary>
    public static string? Summary(PropertyInfo property)
    {
        var assembly = property.DeclaringType!.Assembly;
        IReadOnlyDictionary<string, string> members;
        lock (Files)
            if (!Files.TryGetValue(assembly, out members!)) Files[assembly] = members = Load(assembly);
        return members.GetValueOrDefault($"P:{property.DeclaringType.FullName}.{property.Name}");
    }

    private static IReadOnlyDictionary<string, string> Load(Assembly assembly)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assembly.GetName().Name + ".xml");
        try
        {
            return XDocument.Load(path).Descendants("member")
                .Where(m => m.Attribute("name") is not null && m.Element("summary") is not null)
                .ToDictionary(m => m.Attribute("name")!.Value, m => PlainText(m.Element("summary")!));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Xml.XmlException)
        {
            return new Dictionary<string, string>(); // help falls back to the bare option names
        }
    }

    // <see cref="T:Ns.Type.Member"/> becomes Member, <c>x</c> becomes x, whitespace runs become one space.
    private static string PlainText(XElement summary)
    {
        foreach (var see in summary.Descendants().Where(e => e.Name == "see" || e.Name == "paramref").ToList())
        {
            var target = see.Attribute("cref")?.Value ?? see.Attribute("name")?.Value ?? see.Attribute("langword")?.Value ?? "";
            see.ReplaceWith(string.IsNullOrEmpty(see.Value) ? target[(target.LastIndexOf('.') + 1)..] : see.Value);
        }
        return Whitespace().Replace(summary.Value, " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
