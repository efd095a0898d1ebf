using System.Globalization;
using System.Text.Json;

namespace BigGan.Bench;

/// <summary>Shared measuring helpers: JSON output, medians, resident memory, option parsing.</summary>
public static class Report
{
    /// <summary>Prints one figure as a JSON line; extra fields add context (config, machine reference figures).</summary>
    public static void Figure(string name, double value, string unit, IReadOnlyDictionary<string, object>? extra = null)
    {
        var d = new Dictionary<string, object> { ["name"] = name, ["value"] = Math.Round(value, 4), ["unit"] = unit };
        if (extra is not null) foreach (var (k, v) in extra) d[k] = v;
        d["load_avg_1m"] = LoadAverage();  // the machine is shared: every figure says how busy it was
        Console.WriteLine(JsonSerializer.Serialize(d));
    }

    /// <summary>The 1-minute load average (/proc/loadavg), or -1 where there is none.</summary>
    public static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (IOException) { return -1; }
    }

    public static double Median(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        if (a.Length == 0) throw new ArgumentException("no samples");
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    /// <summary>Resident set size of this process in MiB (VmRSS).</summary>
    public static double RssMb() => ReadStatusKb("VmRSS:") / 1024.0;

    /// <summary>Peak resident set size of this process in MiB (VmHWM).</summary>
    public static double PeakRssMb() => ReadStatusKb("VmHWM:") / 1024.0;

    private static double ReadStatusKb(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key))
                return double.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return double.NaN;
    }

    /// <summary>Reads "--key value" options with defaults.</summary>
    public static Dictionary<string, string> Options(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--")) throw new ArgumentException($"unexpected argument '{args[i]}'");
            var key = args[i][2..];
            d[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : "true";
        }
        return d;
    }

    public static int Int(this Dictionary<string, string> o, string key, int def) =>
        o.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : def;

    public static double Double(this Dictionary<string, string> o, string key, double def) =>
        o.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : def;
}
