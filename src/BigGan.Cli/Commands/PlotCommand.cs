using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BigGan.Training.IO;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan plot</c>: curves from JSON-lines files (training logs, evaluation curves such as bench/quality-curve.sh
/// writes) as a PNG: one panel per --y quantity, one line per value of the --series field, optional dashed targets.
/// Fields are found by name anywhere in a line's object ("cas" finds {"scores": {"cas": …}}) or by a dotted path.
/// </summary>
internal static class PlotCommand
{
    private const int MaxLines = 1_000_000;

    public static Command Create()
    {
        var inputs = new Option<string[]>("--in") { Description = "JSON-lines file(s), one point per line", Required = true, AllowMultipleArgumentsPerToken = true };
        var x = new Option<string>("--x") { Description = "the field on the x axis", DefaultValueFactory = _ => "minutes" };
        var y = new Option<string>("--y") { Description = "comma-separated fields, one panel each", Required = true };
        var series = new Option<string>("--series") { Description = "the field naming each line (default: one line per input file, named after it)" };
        var targets = new Option<string[]>("--target") { Description = "a dashed target line: field=value (repeatable)", AllowMultipleArgumentsPerToken = true };
        var xLabel = new Option<string>("--x-label") { Description = "x axis label (default: the --x field)" };
        var output = new Option<string>("--out") { Description = "the PNG to write", Required = true };
        var command = new Command("plot", "plot JSON-lines curves (e.g. evaluation scores over training minutes) as a PNG") { inputs, x, y, series, targets, xLabel, output };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var xField = result.GetValue(x)!;
            var yFields = result.GetValue(y)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (yFields.Length == 0) throw new ArgumentException("--y: name at least one field");
            var targetValues = ParseTargets(result.GetValue(targets) ?? [], yFields);
            var seriesField = result.GetValue(series);
            var rows = new List<(string series, JsonElement row)>();
            foreach (var file in result.GetValue(inputs)!)
                foreach (var row in ReadLines(file))
                    rows.Add((seriesField is null ? Path.GetFileNameWithoutExtension(file) : Text(row, seriesField, file), row));
            if (rows.Count == 0) throw new ArgumentException("the --in files hold no points");

            var panels = yFields.Select(field => new ChartPanel(field,
                rows.GroupBy(r => r.series).Select(g => new ChartSeries(g.Key,
                    g.Select(r => (Number(r.row, xField), Number(r.row, field))).Where(p => p.Item1 is not null && p.Item2 is not null)
                     .Select(p => (p.Item1!.Value, p.Item2!.Value)).ToList())).Where(s => s.Points.Count > 0).ToList(),
                targetValues.GetValueOrDefault(field))).ToList();
            foreach (var panel in panels.Where(p => p.Series.Count == 0))
                throw new ArgumentException($"no line has both '{xField}' and '{panel.Title}' as numbers");
            var path = result.GetValue(output)!;
            LineChart.WritePng(path, panels, result.GetValue(xLabel) ?? xField);
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] ({panels.Count} panel(s), {panels.SelectMany(p => p.Series).Select(s => s.Name).Distinct().Count()} series, {rows.Count} points)");
            return 0;
        }));
        return command;
    }

    private static Dictionary<string, double?> ParseTargets(string[] targets, string[] yFields)
    {
        var result = new Dictionary<string, double?>();
        foreach (var t in targets)
        {
            var parts = t.Split('=', 2);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw new ArgumentException($"--target {t}: expected field=number, e.g. cas=0.8");
            if (!yFields.Contains(parts[0])) throw new ArgumentException($"--target {t}: '{parts[0]}' is not one of the --y fields ({string.Join(", ", yFields)})");
            result[parts[0]] = v;
        }
        return result;
    }

    // Each non-empty line a JSON object; a bad line is named by file and line number.
    private static IEnumerable<JsonElement> ReadLines(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such file");
        int number = 0;
        foreach (var line in File.ReadLines(file))
        {
            if (++number > MaxLines) throw new InvalidDataException($"{file}: more than {MaxLines:N0} lines; plot a smaller file");
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement row;
            try { using var document = JsonDocument.Parse(line); row = document.RootElement.Clone(); }
            catch (JsonException e) { throw new InvalidDataException($"{file}, line {number}: not JSON ({e.Message})"); }
            if (row.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{file}, line {number}: expected a JSON object, got {row.ValueKind}");
            yield return row;
        }
    }

    private static double? Number(JsonElement row, string field) =>
        Find(row, field) is { ValueKind: JsonValueKind.Number } v && v.TryGetDouble(out var d) && double.IsFinite(d) ? d : null;

    private static string Text(JsonElement row, string field, string file) => Find(row, field) switch
    {
        { ValueKind: JsonValueKind.String } v => v.GetString()!,
        { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
        _ => throw new InvalidDataException($"{file}: a line has no '{field}' field to name its series"),
    };

    // A dotted path from the top, else the first property of that name anywhere (depth first).
    private static JsonElement? Find(JsonElement row, string field)
    {
        var at = row;
        foreach (var part in field.Split('.'))
            if (at.ValueKind != JsonValueKind.Object || !at.TryGetProperty(part, out at)) return field.Contains('.') ? null : Search(row, field);
        return at;
    }

    private static JsonElement? Search(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        if (e.TryGetProperty(name, out var v)) return v;
        foreach (var p in e.EnumerateObject())
            if (Search(p.Value, name) is { } found) return found;
        return null;
    }
}
