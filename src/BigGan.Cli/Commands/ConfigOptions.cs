using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using BigGan.Training.Model;
using BigGan.Training.Training;

namespace BigGan.Cli.Commands;

/// <summary>
/// One command-line option per property of <see cref="TrainConfig"/> and <see cref="ModelConfig"/>, named as in the
/// JSON config files (kebab-case: --g-lr, --d-steps, --shared-embedding, --g-attention 16,32), so the two never
/// drift apart; plus the shorthands --ch, --init and --attention that set the G and D values together.
/// </summary>
internal sealed class ConfigOptions
{
    // Filled from the data set, not from options.
    private static readonly HashSet<string> Derived = ["Channels", "NumClasses"];

    private readonly List<(Option<string> option, PropertyInfo property)> _train = [];
    private readonly List<(Option<string> option, PropertyInfo property)> _model = [];
    private readonly Option<string> _ch = new("--ch") { Description = "channel multiplier of G and D (sets --g-ch and --d-ch)" };
    private readonly Option<string> _init = new("--init") { Description = "weight init of G and D: ortho, n02 or xavier (sets --g-init and --d-init)" };
    private readonly Option<string> _attention = new("--attention") { Description = "attention resolutions of G and D, e.g. 16 or 16,32; none for no attention" };

    public ConfigOptions(Command command)
    {
        foreach (var p in typeof(TrainConfig).GetProperties().Where(Settable))
            _train.Add((Add(command, p, new TrainConfig()), p));
        foreach (var p in typeof(ModelConfig).GetProperties().Where(p => Settable(p) && !Derived.Contains(p.Name)))
            _model.Add((Add(command, p, new ModelConfig()), p));
        command.Options.Add(_ch);
        command.Options.Add(_init);
        command.Options.Add(_attention);
    }

    private static bool Settable(PropertyInfo p) => p.SetMethod is not null && p.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is null;

    // Help: the property's doc comment, its value type and the library default (what a config file starts from).
    private static Option<string> Add(Command command, PropertyInfo p, object defaults)
    {
        var summary = DocumentationComments.Summary(p) ?? p.Name;
        var option = new Option<string>("--" + JsonNamingPolicy.KebabCaseLower.ConvertName(p.Name))
        {
            Description = $"{summary} [{Kind(p.PropertyType)}; default {Show(p.GetValue(defaults))}]",
            Arity = p.PropertyType == typeof(bool) ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
        };
        command.Options.Add(option);
        return option;
    }

    private static string Show(object? value) => value switch
    {
        null => "none",
        IReadOnlyList<int> list => list.Count == 0 ? "none" : string.Join(",", list),
        AdamBetas b => string.Create(CultureInfo.InvariantCulture, $"{b.Beta1},{b.Beta2}"),
        Enum e => JsonNamingPolicy.KebabCaseLower.ConvertName(e.ToString()),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Kind(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(bool) => "true|false",
        var x when x == typeof(int) || x == typeof(long) || x == typeof(ulong) => "integer",
        var x when x == typeof(double) => "number",
        var x when x == typeof(string) => "text",
        var x => Describe(x),
    };

    private static string Describe(Type t) =>
        t.IsEnum ? string.Join("|", Enum.GetNames(t).Select(n => JsonNamingPolicy.KebabCaseLower.ConvertName(n)))
        : t == typeof(IReadOnlyList<int>) ? "comma-separated resolutions or none"
        : t == typeof(AdamBetas) ? "beta1,beta2"
        : Nullable.GetUnderlyingType(t)?.Name ?? t.Name;

    /// <summary>The options given on the command line applied over the base configurations.</summary>
    public (TrainConfig train, ModelConfig model) Apply(ParseResult result, TrainConfig train, ModelConfig model)
    {
        foreach (var (option, p) in _train)
            if (Given(result, option, out var text)) train = With(train, p, Parse(option.Name, text, p.PropertyType));
        foreach (var (option, p) in _model)
            if (Given(result, option, out var text)) model = With(model, p, Parse(option.Name, text, p.PropertyType));
        if (Given(result, _ch, out var ch))
        {
            var v = (int)Parse("--ch", ch, typeof(int))!;
            model = model with { GCh = v, DCh = v };
        }
        if (Given(result, _init, out var init))
        {
            var v = (Init)Parse("--init", init, typeof(Init))!;
            model = model with { GInit = v, DInit = v };
        }
        if (Given(result, _attention, out var attn))
        {
            var v = (IReadOnlyList<int>)Parse("--attention", attn, typeof(IReadOnlyList<int>))!;
            model = model with { GAttention = v, DAttention = v };
        }
        return (train, model);
    }

    private static bool Given(ParseResult result, Option<string> option, out string text)
    {
        var r = result.GetResult(option);
        text = r is null ? "" : r.Tokens.Count == 0 ? "true" : r.Tokens[0].Value;
        return r is not null;
    }

    // Records have init-only setters; a copy through the compiler's clone method keeps the original untouched.
    private static T With<T>(T record, PropertyInfo p, object? value) where T : class
    {
        var clone = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(record, null)!;
        p.SetValue(clone, value);
        return clone;
    }

    private static object? Parse(string name, string text, Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (t == typeof(string)) return text;
            if (t == typeof(bool)) return bool.Parse(text);
            if (t == typeof(int)) return int.Parse(text, CultureInfo.InvariantCulture);
            if (t == typeof(long)) return long.Parse(text, CultureInfo.InvariantCulture);
            if (t == typeof(ulong)) return ulong.Parse(text, CultureInfo.InvariantCulture);
            if (t == typeof(double)) return double.Parse(text, CultureInfo.InvariantCulture);
            if (t.IsEnum)
                return Enum.GetValues(t).Cast<object>().FirstOrDefault(v =>
                           string.Equals(JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString()!), text, StringComparison.OrdinalIgnoreCase)
                           || string.Equals(v.ToString(), text, StringComparison.OrdinalIgnoreCase))
                       ?? throw new FormatException($"expected one of {Describe(t)}");
            if (t == typeof(IReadOnlyList<int>))
                return text is "none" or "0" or ""
                    ? Array.Empty<int>()
                    : text.Split([',', '_'], StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            if (t == typeof(AdamBetas))
            {
                var parts = text.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                if (parts.Length != 2) throw new FormatException("expected two numbers, e.g. 0,0.999");
                return new AdamBetas(parts[0], parts[1]);
            }
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{name} {text}: {e.Message}");
        }
        catch (OverflowException e)
        {
            throw new ArgumentException($"{name} {text}: {e.Message}");
        }
        throw new ArgumentException($"{name}: options of type {t.Name} are not supported");
    }
}
